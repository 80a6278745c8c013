"""Helpers shared by the dashboard views: the project a page is about, and safe redirects."""

from __future__ import annotations

from django.http import Http404
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


def chosen_project(projects: list, wanted: str):
    """The project asked for by id (404 when it is not among the user's), else the first one."""
    if not wanted:
        return projects[0] if projects else None
    for project in projects:
        if str(project.id) == wanted:
            return project
    raise Http404("no such project")
