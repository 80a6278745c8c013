"""The group list (/groups/, the home page); before the first event (of all the user's projects,
or of the one project asked for), the first-run page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect

from config.redis_clients import redis_client
from projects.members import projects_for
from projects.recent import remember_project
from triage.access import groups_for_user
from triage.attribution.spikes import cached_spike_scores
from triage.pages import as_context
from triage.pages.first_run import first_run_page, list_url
from triage.pages.group_list import ListQuery, group_list_page, unreadable_list_page


@login_required
def group_list(request):
    projects = projects_for(request.user)
    try:
        query = ListQuery.from_params(request.GET, request.user.get_username())
    except ValueError as exc:  # a search that cannot be read is a 400 with the reason, never a 500
        page = unreadable_list_page(projects, request.GET, request.user.get_username(), str(exc))
        template = "triage/_group_rows.html" if request.htmx else "triage/group_list.html"
        return render(request, template, as_context(page), status=400)
    groups = groups_for_user(request.user)
    # One of the user's projects asked for by the filters: without a group it gets its own first-run page.
    single = projects.filter(id=query.filters.project_id).first() if query.filters.project_id else None
    if single is not None:
        remember_project(request, single)
    has_groups = (groups.filter(project=single) if single else groups).exists()
    before_first_event = _first_run(request, projects, single, has_groups)
    if before_first_event is not None:
        return before_first_event
    now = timezone.now()
    redis = redis_client()
    page = group_list_page(groups, projects, query, redis, now, cached_spike_scores(redis, now))
    template = "triage/_group_rows.html" if request.htmx else "triage/group_list.html"
    return render(request, template, as_context(page))


def _first_run(request, projects, single, has_groups: bool):
    """The answers about the first event (None: show the list)."""
    if request.htmx and request.htmx.target == "first-run":
        # The first-run listener: open the list once an event arrived. Not HX-Refresh, which on
        # /projects/<id>/start/ reloads the start page itself, and so every 3 s forever.
        return HttpResponseClientRedirect(list_url(single)) if has_groups else HttpResponse(status=204)
    if has_groups:
        return None
    if request.htmx:
        # The rows poller found none left, or the filters chose an empty project: open the page
        # asked for, whose first-run page shows (a refresh would reload the list it came from).
        return HttpResponseClientRedirect(request.get_full_path())
    first_run = first_run_page(projects.filter(id=single.id) if single else projects, single=single)
    return render(request, "triage/first_run.html", as_context(first_run))
