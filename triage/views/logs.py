"""The logs page (/logs/), the live tail's fetch of newer lines (/logs/lines/) and its change
stream (/logs/tail/, server-sent events)."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from projects.members import projects_for
from triage.logs import tail
from triage.logs.query import Cursor, LogFilters
from triage.pages import as_context
from triage.pages.logs import logs_page, newer_rows
from triage.views.common import chosen_project


def _project(request):
    """The project of `?project=` (404 unless a member), else the one the user last looked at
    (triage.views.common.chosen_project)."""
    wanted = request.GET.get("project", "")
    if wanted and not wanted.isdigit():
        raise Http404("no such project")
    project = chosen_project(request, list(projects_for(request.user)), wanted)
    if project is None:
        raise Http404("you are a member of no project yet")
    return project


def _filters(request, cursor_name: str) -> tuple[LogFilters, Cursor | None]:
    """The URL's filters and the cursor named `cursor_name`; ValueError for a bad one."""
    cursor = request.GET.get(cursor_name)
    return LogFilters.from_params(request.GET, timezone.now()), Cursor.decode(cursor) if cursor else None


@login_required
@require_GET
def log_list(request):
    project = _project(request)
    try:
        filters, cursor = _filters(request, "cursor")
    except ValueError as exc:
        return render(request, "triage/logs.html", {"error": str(exc), "project": project}, status=400)
    page = logs_page(list(projects_for(request.user).order_by("name")), project, filters, cursor)
    return render(request, "triage/logs.html", as_context(page))


@login_required
@require_GET
def log_lines(request):
    """JSON for the live tail: the lines after `newer_than`, newest first, each ready to show."""
    project = _project(request)
    try:
        filters, newest = _filters(request, "newer_than")
    except ValueError as exc:
        return JsonResponse({"detail": str(exc)}, status=400)
    rows, since = newer_rows(project.id, filters, newest)
    return JsonResponse({"lines": [_row_json(row) for row in rows], "newest": since})


def _row_json(row) -> dict:
    line = row.line
    return {"timestamp": line.timestamp.isoformat(), "time": f"{line.timestamp:%H:%M:%S.%f}"[:12],
            "level": line.level, "logger": line.logger, "message": line.message, "trace_id": line.trace_id,
            "groups": [{"id": g, "url": reverse("triage:group_detail", args=[g])} for g in row.group_ids]}


async def log_tail(request):
    """text/event-stream: `event: lines` whenever the project stored new lines (triage.logs.tail)."""
    user = await request.auser()
    if not user.is_authenticated:
        return HttpResponse("log in first", status=401)
    request.user = user
    try:
        project = await sync_to_async(_project)(request)
    except Http404:
        return HttpResponse("no such project", status=404)
    try:
        stream = tail.hub.open(project.id)
    except tail.TooManyTails:
        return HttpResponse("too many open live tails", status=429, headers={"Retry-After": "60"})
    response = StreamingHttpResponse(tail.tail_events(stream), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: do not buffer the stream
    return response
