"""A group's events (/groups/<id>/events/) and a trace's events (/projects/<id>/traces/<trace_id>/)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from projects.access import project_member_required
from triage.access import group_for_user
from triage.pages import as_context
from triage.pages.group_events import EventQuery, group_events_page
from triage.pages.trace import trace_page

MAX_TRACE_ID = 64  # ErrorEvent.trace_id


@login_required
@require_GET
def group_events(request, group_id: int):
    group = group_for_user(request.user, group_id)
    try:
        query = EventQuery.from_params(request.GET)
    except ValueError as exc:
        return render(request, "triage/group_events.html", {"group": group, "project": group.project, "error": str(exc)}, status=400)
    return render(request, "triage/group_events.html", as_context(group_events_page(group, query, timezone.now())))


@login_required
@require_GET
@project_member_required
def trace_detail(request, project, trace_id: str):
    if len(trace_id) > MAX_TRACE_ID:
        return render(request, "triage/trace_detail.html", {"project": project, "error": "No trace id is that long."}, status=400)
    return render(request, "triage/trace_detail.html", as_context(trace_page(project, trace_id)))
