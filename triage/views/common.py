"""Helpers shared by the dashboard views: the project a page is about, and safe redirects."""

from __future__ import annotations

from django.http import Http404
from django.utils.http import url_has_allowed_host_and_scheme

from projects.recent import remember_project, remembered_project_id
from triage.models import ErrorGroup


def safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


def chosen_project(request, projects: list, wanted: str):
    """The project asked for by id (404 when it is not among the user's, remembered as the one the
    user looks at); without one, the project the user last looked at, else the one with the most
    recent events, else the first."""
    if wanted:
        for project in projects:
            if str(project.id) == wanted:
                remember_project(request, project)
                return project
        raise Http404("no such project")
    by_id = {project.id: project for project in projects}
    remembered = remembered_project_id(request)
    if remembered in by_id:
        return by_id[remembered]
    latest = ErrorGroup.objects.filter(project__in=list(by_id)).order_by("-last_seen").values_list("project_id", flat=True).first()
    return by_id.get(latest) or (projects[0] if projects else None)
