"""The logs API: `GET /api/0/projects/<id>/logs/` with the filters of the logs page, newest first,
cursor-paged (triage.logs.query). Bearer tokens and membership as every API (projects.api)."""

from __future__ import annotations

from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from projects.access import project_member_required
from projects.api import BadRequest, token_required
from triage.logs.query import MAX_PAGE_SIZE, PAGE_SIZE, Cursor, LogFilters, group_ids_of_traces, search_lines
from triage.models import LogLine


@token_required
@require_GET
@project_member_required
def log_list(request, project):
    try:
        filters = LogFilters.from_params(request.GET, timezone.now())
        cursor = Cursor.decode(request.GET["cursor"]) if request.GET.get("cursor") else None
        limit = int(request.GET.get("limit", PAGE_SIZE))
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise BadRequest(f"limit must be 1 to {MAX_PAGE_SIZE}")
    lines, next_cursor = search_lines(project.id, filters, cursor, limit)
    groups = group_ids_of_traces(project.id, [line.trace_id for line in lines])
    return JsonResponse({"results": [line_json(line, groups.get(line.trace_id, [])) for line in lines],
                         "next_cursor": next_cursor.encode() if next_cursor else None})


def line_json(line: LogLine, group_ids: list[int]) -> dict:
    return {
        "timestamp": line.timestamp.isoformat(),
        "level": line.level,
        "message": line.message,
        "template": line.template,
        "logger": line.logger,
        "trace_id": line.trace_id,
        "span_id": line.span_id,
        "attributes": line.attributes,
        "release": line.release,
        "environment": line.environment,
        "service": line.service,
        "group_ids": group_ids,
    }
