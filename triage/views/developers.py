"""The developers page (/developers/): open groups per developer, and the groups assigned to me."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from config.redis_clients import redis_client
from projects.members import projects_for
from triage.access import groups_for_user
from triage.attribution.spikes import cached_spike_scores
from triage.pages import as_context
from triage.pages.developers import developers_page


@login_required
def developer_list(request):
    now, redis = timezone.now(), redis_client()
    page = developers_page(groups_for_user(request.user), projects_for(request.user), request.user.get_username(),
                           redis, now, cached_spike_scores(redis, now))
    return render(request, "triage/developers.html", as_context(page))
