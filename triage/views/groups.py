"""The group list (the home page) and the group detail page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django_htmx.http import HttpResponseClientRefresh

from triage import details, listing
from triage.listing import ListQuery
from triage.projects import projects_for
from triage.views.common import group_for_page, redis_client, spike_scores, visible_groups
from triage.views.context import detail_context, first_run_context


@login_required
def group_list(request):
    try:
        query = ListQuery.from_params(request.GET, request.user.get_username())
    except ValueError as exc:
        return render(request, "triage/group_list.html", {"error": str(exc)}, status=400)
    projects = projects_for(request.user)
    has_groups = visible_groups(request.user).exists()
    if request.htmx and (request.htmx.target == "first-run") == has_groups:
        return HttpResponseClientRefresh()  # the first event arrived, or the rows poller found none left
    if not has_groups:
        return render(request, "triage/first_run.html", first_run_context(projects))
    now = timezone.now()
    scores = spike_scores(now)
    page = listing.page_of_groups(visible_groups(request.user), query, now, scores)
    context = {
        "query": query, "page": page, "rows": details.group_rows(redis_client(), page.groups, query.window, now, scores),
        "sorts": listing.sort_links(query), "windows": listing.window_links(query),
        "options": listing.filter_options(projects, query.filters.project_id),
    }
    template = "triage/_group_rows.html" if request.htmx else "triage/group_list.html"
    return render(request, template, context)


@login_required
def group_detail(request, group_id: int):
    group = group_for_page(request.user, group_id)
    context = detail_context(group, request.GET.get("event", ""), timezone.now())
    return render(request, "triage/group_detail.html", context)
