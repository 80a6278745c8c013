"""Keeps each project's stored events within its retention budget, oldest first, and release
health's bookkeeping within the windows it serves.

Group counts, breakdowns and minute counts stay: only the event payloads go.
"""

import datetime as dt

from projects.models import Project
from triage.digest.sessions import SESSION_UPDATE_DAYS
from triage.models import ErrorEvent, SessionMessage, TrackedSession

DELETE_CHUNK = 5_000
# A release-health message is redelivered within minutes; a dead letter may be replayed later.
SESSION_MESSAGE_DAYS = 30


def prune_events(default_budget: int) -> int:
    deleted = 0
    for project_id, budget in Project.objects.values_list("id", "retention_events"):
        deleted += prune_project(project_id, budget or default_budget)
    return deleted


def prune_project(project_id: int, budget: int) -> int:
    """Deletes the project's events beyond the newest `budget`, in chunks to keep locks short."""
    deleted = 0
    while True:
        cutoff = (
            ErrorEvent.objects.filter(project_id=project_id).order_by("-id").values_list("id", flat=True)[budget : budget + 1]
        )
        boundary = list(cutoff)
        if not boundary:
            return deleted
        ids = list(
            ErrorEvent.objects.filter(project_id=project_id, id__lte=boundary[0])
            .order_by("id")
            .values_list("id", flat=True)[:DELETE_CHUNK]
        )
        deleted += ErrorEvent.objects.filter(id__in=ids).delete()[0]


def prune_release_health(now: dt.datetime) -> int:
    """Forgets sessions past the protocol's update window (an update after it is dropped anyway:
    triage.digest.sessions) and applied messages past SESSION_MESSAGE_DAYS. Counts stay."""
    sessions = TrackedSession.objects.filter(updated_at__lt=now - dt.timedelta(days=SESSION_UPDATE_DAYS + 1))
    messages = SessionMessage.objects.filter(applied_at__lt=now - dt.timedelta(days=SESSION_MESSAGE_DAYS))
    return sessions.delete()[0] + messages.delete()[0]
