"""Plain helpers for the dashboard tests: realistic data through the real pipeline, grants, and
payloads as older versions stored them."""

from __future__ import annotations

import datetime as dt
import json

from django.utils import timezone

from tests.factories import make_event, with_crash_site
from tests.triage.pipeline import drain, send_events
from triage.models import ErrorGroup


def push(project, redis_client, events: list[dict]) -> None:
    """Ingests the events and digests them in-process, counting them in Redis like the worker."""
    send_events(project, events)
    drain(redis_client)


def send_live(url: str, project, event: dict, public_key: str = "") -> None:
    """Through a live server's ingest, as the SDK sends it (a live worker digests it). A thread
    passes the project's `public_key`, read beforehand: a query would open a connection of its own."""
    import urllib.request

    from tests.factories import envelope

    public_key = public_key or project.keys.first().public_key
    request = urllib.request.Request(f"{url}/api/{project.id}/envelope/", data=envelope(event),
                                     headers={"X-Sentry-Auth": f"Sentry sentry_key={public_key}, sentry_version=7"})
    urllib.request.urlopen(request, timeout=10).read()


def settled(redis_client, expected: int) -> bool:
    """`expected` events stored and every stream message acknowledged (acknowledging deletes it)."""
    from triage import stream
    from triage.models import ErrorEvent

    return ErrorEvent.objects.count() == expected and redis_client.xlen(stream.EVENTS) == 0


def crash(function: str = "price", module: str = "shop.pricing", exc_type: str = "ValueError", **overrides) -> dict:
    """An event whose crash site (and so its group) is module.function."""
    return with_crash_site(make_event(**overrides), module, function, exc_type)


def spike(project, redis_client, n: int = 30, **overrides) -> ErrorGroup:
    """n events right now of a group first seen two hours ago and quiet since: a spike (a group
    seen for the first time would only be new, triage.attribution.spikes)."""
    event = dict(overrides)
    function = event.pop("function", "apply_discount")
    push(project, redis_client, [crash(function, "shop.checkout_v2", "CheckoutError", **event) for _ in range(n)])
    group = ErrorGroup.objects.get(project=project, culprit=f"shop.checkout_v2 in {function}")
    ErrorGroup.objects.filter(pk=group.pk).update(first_seen=timezone.now() - dt.timedelta(hours=2))
    return ErrorGroup.objects.get(pk=group.pk)


def _nested(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


def _with(text_of_event: str, field: str) -> str:
    """A payload: the base event's JSON with one more top-level field spliced in as raw text."""
    return text_of_event[:-1] + f', {field}}}'


def old_payloads() -> dict[str, str]:
    """Payload texts an earlier version stored as they came, which pages and the API must still show:
    nesting deeper than any renderer recurses (orjson parses up to 1,024 levels, so both sides of
    that limit), and lone surrogate escapes (\\ud800), which parse to text no UTF-8 page can hold."""
    base = json.dumps(make_event())
    lone = "\\ud800"
    return {
        "nested 1,000 levels in extra": _with(base, f'"extra": {{"deep": {_nested(1000)}}}'),
        "nested 5,000 levels in a breadcrumb": _with(base, f'"breadcrumbs": {{"values": [{{"message": "x", "data": {_nested(5000)}}}]}}'),
        "nested 1,000 levels in a frame variable": base.replace('"lineno": 42', f'"lineno": 42, "vars": {{"v": {_nested(1000)}}}'),
        "lone surrogate in a tag": base.replace('"tags": {"tenant": "acme"}', f'"tags": {{"tenant{lone}": "ac{lone}me"}}'),
        "lone surrogate in a breadcrumb": _with(base, f'"breadcrumbs": {{"values": [{{"message": "clicked {lone}", "category": "ui{lone}"}}]}}'),
        "lone surrogate and deep nesting": _with(base, f'"extra": {{"{lone}": {_nested(3000)}, "nan": NaN}}'),
    }


def store_old_payload(group: ErrorGroup, payload: str) -> None:
    """Writes the payload straight into the group's events, as a version without today's cleaning did."""
    group.events.update(payload=payload)
