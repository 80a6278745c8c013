"""Keeps each project's stored events within its retention budget, oldest first, and release
health's bookkeeping within the windows it serves.

Group counts, breakdowns and minute counts stay: only the event payloads go.

A project keeps its newest `retention_events` events, newest by receive time. On PostgreSQL the
events are partitioned by day of that time (triage.event_partitions), and a day whose every
project is past its budget is dropped whole, by DROP TABLE; a day some project still keeps loses
only the other projects' expired events, by DELETE, as every day does on SQLite. The budget being
per project, a day is only as droppable as the most generous of the projects with events in it:
a quiet project with a large budget holds its days, and the busy projects' rows in them go by
DELETE (the same choice as log retention, triage.logs.retention).
"""

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Q

from projects.models import Project
from triage import event_partitions, partitions
from triage.digest.sessions import SESSION_UPDATE_DAYS
from triage.models import ErrorEvent, EventId, SessionMessage, TrackedSession

log = logging.getLogger(__name__)

DELETE_CHUNK = 5_000
# A release-health message is redelivered within minutes; a dead letter may be replayed later.
SESSION_MESSAGE_DAYS = 30


def prune_events(default_budget: int, now: dt.datetime | None = None) -> int:
    """Makes the next days' partitions, drops the days past every budget, then deletes what
    remains past each project's. Returns the events deleted or dropped."""
    today = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).date()
    partitions.ensure_ahead(event_partitions.TABLE, today, event_partitions.DAYS_AHEAD)
    boundaries = {pid: boundary(pid, budget or default_budget)
                  for pid, budget in Project.objects.values_list("id", "retention_events")}
    removed, busy = drop_expired_days(boundaries, today)
    if busy:  # deleting now would DELETE the rows of a day meant to go by DROP: the next run does both
        return removed
    for project_id, last in boundaries.items():
        if last is not None:
            removed += delete_through(project_id, last)
    return removed


def boundary(project_id: int, budget: int) -> tuple[dt.datetime, int] | None:
    """The (received_at, id) of the newest event past the budget; None when all fit."""
    return (ErrorEvent.objects.filter(project_id=project_id).order_by("-received_at", "-id")
            .values_list("received_at", "id")[budget : budget + 1].first())


def drop_expired_days(boundaries: dict[int, tuple[dt.datetime, int] | None], today: dt.date) -> tuple[int, bool]:
    """Drops each past day whose projects are all past their budget for the whole day (a project
    deleted since keeps nothing). Returns the events dropped, and whether a day was too busy to
    drop (partitions.drop_day)."""
    dropped, busy = 0, False
    for day in partitions.days(event_partitions.TABLE):
        if day >= today:
            break
        present = partitions.values_in_day(event_partitions.TABLE, day, "project_id")
        if all(pid not in boundaries or _expired_before(boundaries[pid]) > day for pid in present):
            count = _count_day(day)
            if partitions.drop_day(event_partitions.TABLE, day):
                dropped += count
            else:
                busy = True
    if dropped:
        log.info("event retention: dropped %d events in whole days", dropped)
    return dropped, busy


def _expired_before(last: tuple[dt.datetime, int] | None) -> dt.date:
    """The first day a project may still have events it keeps: the day of its boundary."""
    return dt.date.min if last is None else last[0].astimezone(dt.UTC).date()


def _count_day(day: dt.date) -> int:
    start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    return ErrorEvent.objects.filter(received_at__gte=start, received_at__lt=start + dt.timedelta(days=1)).count()


def delete_through(project_id: int, last: tuple[dt.datetime, int]) -> int:
    """Deletes the project's events up to and including `last`, in chunks to keep locks short."""
    received, event_id = last
    expired = ErrorEvent.objects.filter(Q(received_at__lt=received) | Q(received_at=received, id__lte=event_id),
                                        project_id=project_id)
    deleted = 0
    while True:
        ids = list(expired.order_by("received_at", "id").values_list("id", flat=True)[:DELETE_CHUNK])
        if not ids:
            return deleted
        with transaction.atomic():
            deleted += ErrorEvent.objects.filter(project_id=project_id, id__in=ids).delete()[0]


def prune_event_ids(now: dt.datetime, days: int) -> int:
    """Forgets the ids of events received more than `days` ago: a copy re-sent later is stored again."""
    old = EventId.objects.filter(received_at__lt=now - dt.timedelta(days=days))
    deleted = 0
    while ids := list(old.order_by("received_at").values_list("id", flat=True)[:DELETE_CHUNK]):
        deleted += EventId.objects.filter(id__in=ids).delete()[0]
    return deleted


def prune_release_health(now: dt.datetime) -> int:
    """Forgets sessions past the protocol's update window (an update after it is dropped anyway:
    triage.digest.sessions) and applied messages past SESSION_MESSAGE_DAYS. Counts stay."""
    sessions = TrackedSession.objects.filter(updated_at__lt=now - dt.timedelta(days=SESSION_UPDATE_DAYS + 1))
    messages = SessionMessage.objects.filter(applied_at__lt=now - dt.timedelta(days=SESSION_MESSAGE_DAYS))
    return sessions.delete()[0] + messages.delete()[0]
