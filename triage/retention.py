"""Keeps each project's stored events within its retention budget, oldest first.

Group counts, breakdowns and minute counts stay: only the event payloads go.
"""

from projects.models import Project
from triage.models import ErrorEvent

DELETE_CHUNK = 5_000


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
