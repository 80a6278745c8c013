"""Access checks for dashboard views: load the object the user may see, or 404/403."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from triage.models import ErrorGroup, Project
from triage.projects import projects_for


def project_for_user(user, project_id: int) -> Project:
    """404 rather than 403 for other people's projects: their existence is not disclosed."""
    return get_object_or_404(projects_for(user), id=project_id)


def group_for_user(user, group_id: int) -> ErrorGroup:
    return get_object_or_404(ErrorGroup.objects.select_related("project"), id=group_id, project__in=projects_for(user))


def require_perm(user, perm: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied(f"needs the {perm} permission")
