"""The group page (/groups/<id>/) and its spike chart's data (/groups/<id>/chart/)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from config.redis_clients import redis_client
from projects.recent import remember_project
from triage.access import group_for_user, redirected_group_id
from triage.attribution.spikes import QUIET, cached_spike_scores
from triage.pages import as_context, charts
from triage.pages.group_detail import cached_group_figure, group_detail_page


@login_required
def group_detail(request, group_id: int):
    try:
        group = group_for_user(request.user, group_id)
    except Http404:
        merged_into = redirected_group_id(request.user, group_id)
        if merged_into is None:
            raise
        return redirect("triage:group_detail", group_id=merged_into)  # merged: its page is the other's now
    remember_project(request, group.project)
    now = timezone.now()
    redis = redis_client()
    spike = cached_spike_scores(redis, now).get(group.id, QUIET)
    page = group_detail_page(redis, group, request.GET.get("event", ""), now, spike)
    return render(request, "triage/group_detail.html", as_context(page))


@login_required
@require_GET
def group_chart(request, group_id: int):
    group = group_for_user(request.user, group_id)
    range_name = request.GET.get("range", "1h")
    if range_name not in charts.RANGES:
        return JsonResponse({"detail": f"range must be one of {', '.join(charts.RANGES)}"}, status=400)
    return JsonResponse(cached_group_figure(redis_client(), group, range_name, timezone.now()))
