"""Who may see and change what: load the object a user may see, or 404; check a permission, or 403.

Every page and API view of triage and flags loads its project (or an object of a project) through
these, so "member of the project, or a superuser" is written once. Other people's projects answer
404 rather than 403: their existence is not disclosed. The JSON APIs turn both exceptions into
JSON answers (projects.api.token_required).
"""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from projects.members import projects_for
from projects.models import Project
from projects.recent import remember_project


def project_for_user(user, project_id: int) -> Project:
    project = projects_for(user).filter(id=project_id).first()
    if project is None:
        raise Http404("no such project")
    return project


def member_object(user, queryset: QuerySet, what: str, **lookup):
    """One object of `queryset` (a model with a `project` foreign key) in the user's projects."""
    found = queryset.filter(project__in=projects_for(user), **lookup).first()
    if found is None:
        raise Http404(f"no such {what}")
    return found


def require_perm(user, perm: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied(f"needs the {perm} permission")


def project_member_required(view=None, *, perm: str | None = None):
    """Swaps the view's `project_id` argument for the Project, 404 unless the user is a member;
    with `perm`, then 403 unless the user has that permission. Use below login_required (pages)
    or token_required (API), which set request.user."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, project_id: int, *args, **kwargs):
            project = project_for_user(request.user, project_id)
            if perm is not None:
                require_perm(request.user, perm)
            remember_project(request, project)
            return view(request, project, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate
