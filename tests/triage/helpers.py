"""Plain helpers for the dashboard tests: realistic data through the real pipeline, and grants."""

from __future__ import annotations

from tests.factories import make_event, with_crash_site
from tests.triage.pipeline import drain, send_events
from triage.models import ErrorGroup


def push(project, redis_client, events: list[dict]) -> None:
    """Ingests the events and digests them in-process, counting them in Redis like the worker."""
    send_events(project, events)
    drain(redis_client)


def crash(function: str = "price", module: str = "shop.pricing", exc_type: str = "ValueError", **overrides) -> dict:
    """An event whose crash site (and so its group) is module.function."""
    return with_crash_site(make_event(**overrides), module, function, exc_type)


def spike(project, redis_client, n: int = 30, **overrides) -> ErrorGroup:
    """n events of one group right now: enough to score as a spike."""
    event = dict(overrides)
    function = event.pop("function", "apply_discount")
    push(project, redis_client, [crash(function, "shop.checkout_v2", "CheckoutError", **event) for _ in range(n)])
    return ErrorGroup.objects.get(project=project, culprit=f"shop.checkout_v2 in {function}")
