"""The trigger URL endpoint: outside alerting POSTs here to kill one flag in one environment."""

from __future__ import annotations

import json

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from flags import triggers


def _note(request) -> str:
    """An optional note for the audit reason: {"reason": "..."} or a short plain-text body."""
    body = request.body[:4096]
    try:
        data = json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace") if request.content_type.startswith("text/") else ""
    return str(data.get("reason", "")) if isinstance(data, dict) else ""


@csrf_exempt  # the secret in the URL is the credential; no cookie is involved
@require_POST
def trigger_fire(request, token: str):
    fired = triggers.fire_trigger(token, _note(request))
    if fired is None:
        return JsonResponse({"detail": "unknown or revoked trigger"}, status=404)
    trigger, change = fired
    return JsonResponse({"flag": trigger.flag.key, "environment": trigger.environment, "disabled": change is not None,
                         "detail": "disabled" if change else "already off"})
