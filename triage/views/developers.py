"""Developers: open groups per developer, and the groups assigned to me."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from triage import details, listing
from triage.developers import developer_loads
from triage.listing import ListQuery
from triage.projects import projects_for
from triage.views.common import redis_client, spike_scores, visible_groups


@login_required
def developer_list(request):
    now = timezone.now()
    scores = spike_scores(now)
    mine = ListQuery.from_params({"assignee": "me", "window": "all"}, request.user.get_username())
    page = listing.page_of_groups(visible_groups(request.user), mine, now, scores)
    context = {
        "loads": developer_loads(projects_for(request.user), scores),
        "rows": details.group_rows(redis_client(), page.groups, mine.window, now, scores), "page": page, "query": mine,
    }
    return render(request, "triage/developers.html", context)
