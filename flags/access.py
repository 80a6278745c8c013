"""Access checks: load the flag a user may see (member of its project), or 404; permissions, or 403."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from flags.models import Flag
from triage.access import project_for_user, require_perm  # noqa: F401  (re-exported for flags views)
from triage.projects import projects_for


def flag_for_user(user, project_id: int, key: str) -> Flag:
    """404 for a flag of another project, as for the project itself: existence is not disclosed."""
    return get_object_or_404(
        Flag.objects.select_related("project", "owner"), project_id=project_id, key=key,
        project__in=projects_for(user),
    )


def visible_project(user, project_id: int):
    """The project, or None (the API answers 404 JSON rather than an HTML page)."""
    return projects_for(user).filter(id=project_id).first()


def visible_flag(user, project_id: int, key: str) -> Flag | None:
    return (
        Flag.objects.select_related("project", "owner")
        .filter(project_id=project_id, key=key, project__in=projects_for(user))
        .first()
    )
