"""Helpers shared by the dashboard views: loading what the user may see, Redis, cached reads."""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.http import url_has_allowed_host_and_scheme
from django_redis import get_redis_connection

from triage import spikes
from triage.access import require_perm
from triage.models import ErrorGroup
from triage.projects import projects_for

SPIKE_CACHE_SECONDS = 15


def redis_client():
    """The Redis behind the cache (settings.REDIS_URL), from django-redis's connection pool."""
    return get_redis_connection("default")


def visible_groups(user):
    return ErrorGroup.objects.filter(project__in=projects_for(user))


def group_for_page(user, group_id: int) -> ErrorGroup:
    """The group with what its page shows in one query; 404 outside the user's projects."""
    groups = visible_groups(user).select_related("project", "assignee", "first_release", "last_release")
    return get_object_or_404(groups, id=group_id)


def group_to_change(user, group_id: int) -> ErrorGroup:
    """404 for a group outside the user's projects, then 403 without triage.change_errorgroup."""
    group = get_object_or_404(visible_groups(user).select_related("project"), id=group_id)
    require_perm(user, "triage.change_errorgroup")
    return group


def spike_scores(now: dt.datetime) -> dict[int, float]:
    """All groups' spike scores, computed at most once per SPIKE_CACHE_SECONDS (all users share it)."""
    key = f"triage:spikes:{int(now.timestamp()) // SPIKE_CACHE_SECONDS}"
    scores = cache.get(key)
    if scores is None:
        scores = spikes.spike_scores(redis_client(), now)
        cache.set(key, scores, SPIKE_CACHE_SECONDS * 2)
    return scores


def chart_generation(project_id: int) -> int:
    """Bumped when a flag of the project changes from triage, so cached charts show the marker at once."""
    return cache.get(f"triage:chartgen:{project_id}", 0)


def bump_chart_generation(project_id: int) -> None:
    key = f"triage:chartgen:{project_id}"
    if not cache.add(key, 1, None):
        cache.incr(key)


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
