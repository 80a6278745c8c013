"""Template contexts that take more than a view's few lines to gather: each a fixed number of queries."""

from __future__ import annotations

import datetime as dt

from triage import actions, charts, details, spikes
from triage.event_details import event_details
from triage.models import ErrorEvent, ErrorGroup
from triage.views.common import spike_scores

RECENT_EVENTS = 15


def detail_context(group: ErrorGroup, event_id: str, now: dt.datetime) -> dict:
    recent = list(_events(group).defer("payload")[:RECENT_EVENTS])
    event = _events(group).filter(event_id=event_id).first() if event_id else None
    if event is None and recent:
        event = _events(group).get(id=recent[0].id)
    environment = details.main_environment(group)
    score = spike_scores(now).get(group.id, 0.0)
    return {
        "group": group, "project": group.project, "score": score, "spiking": spikes.is_spiking(score),
        "event": event, "event_view": event_details(event.payload) if event else None,
        "recent_events": recent, "newer": _neighbour(group, event, newer=True), "older": _neighbour(group, event, newer=False),
        "environment": environment, "flag_rows": details.flag_panel(group, environment),
        "releases": group.release_counts.select_related("release").order_by("-count")[:10],
        "environments": group.environment_counts.order_by("-count")[:10],
        "members": group.project.members.order_by("username"),
        "activity": group.activity.select_related("actor")[:20],
        "latest_release": actions.latest_release(group.project_id, now),
        "chart_ranges": list(charts.RANGES),
    }


def _events(group: ErrorGroup):
    return ErrorEvent.objects.filter(group=group).select_related("release").order_by("-received_at", "-id")


def _neighbour(group: ErrorGroup, event: ErrorEvent | None, newer: bool) -> ErrorEvent | None:
    """The next event in (received_at, id) order. Two queries that each walk the (group,
    received_at) index, where one query with an OR scans a big group's events."""
    if event is None:
        return None
    events = ErrorEvent.objects.filter(group=group).only("event_id")
    if newer:
        same = events.filter(received_at=event.received_at, id__gt=event.id).order_by("id")
        other = events.filter(received_at__gt=event.received_at).order_by("received_at", "id")
    else:
        same = events.filter(received_at=event.received_at, id__lt=event.id).order_by("-id")
        other = events.filter(received_at__lt=event.received_at).order_by("-received_at", "-id")
    found = list(same[:1]) + list(other[:1])
    return found[0] if found else None


def first_run_context(projects) -> dict:
    """What a new user needs to send a first event: each project's DSN."""
    rows = [(p, next((k for k in p.keys.all() if k.is_active), None)) for p in projects.prefetch_related("keys")[:10]]
    return {"projects": [(p, key.dsn() if key else "") for p, key in rows]}
