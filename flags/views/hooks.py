"""The trigger URL endpoint: outside alerting POSTs here to kill one flag in one environment.

Throttled (issue 8) so tokens cannot be guessed nor a flag's trigger hammered: every POST counts
against its client address, every firing against its token; past either count it answers 429
with Retry-After. A token has 256 random bits, so the address limit is about load, not odds.
"""

from __future__ import annotations

import json

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from flags import triggers
from projects.api import storable
from projects.throttle import Throttle, client_address

BY_ADDRESS = Throttle("trigger-address", count=60, seconds=10 * 60)
BY_TOKEN = Throttle("trigger-token", count=10, seconds=60)  # an alert re-fired every few seconds still passes


def _note(request) -> str:
    """An optional note for the audit reason: {"reason": "..."} or a short plain-text body; text
    PostgreSQL cannot store is cleaned rather than refused, so the kill still happens."""
    body = request.body[:4096]
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        note = body.decode("utf-8", "replace") if request.content_type.startswith("text/") else ""
    else:
        note = str(data.get("reason", "")) if isinstance(data, dict) else ""
    return storable(note)


def _retry_after(request, token: str) -> int:
    """Seconds to wait when this address or token is over its count; else counts the request, 0."""
    address = client_address(request)
    wait = max(BY_ADDRESS.retry_after(address), BY_TOKEN.retry_after(token))
    if not wait:
        BY_ADDRESS.hit(address)
    return wait


@csrf_exempt  # the secret in the URL is the credential; no cookie is involved
@require_POST
def trigger_fire(request, token: str):
    wait = _retry_after(request, token)
    if wait:
        response = JsonResponse({"detail": "too many requests; try again later"}, status=429)
        response["Retry-After"] = str(wait)
        return response
    fired = triggers.fire_trigger(token, _note(request))
    if fired is None:
        return JsonResponse({"detail": "unknown or revoked trigger"}, status=404)
    BY_TOKEN.hit(token)
    trigger, change = fired
    return JsonResponse({"flag": trigger.flag.key, "environment": trigger.environment, "disabled": change is not None,
                         "detail": "disabled" if change else "already off"})
