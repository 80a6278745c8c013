"""The read-only JSON API for scripts and CI: bearer tokens, the user's own projects only."""

from __future__ import annotations

import json
from functools import wraps

from django.core.paginator import EmptyPage, Paginator
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from triage.models import ErrorEvent, ErrorGroup
from triage.projects import projects_for, user_for_token
from triage.queries import GroupFilters, groups_for_project

PAGE_SIZE = 100


def error(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def token_required(view):
    """Authenticates `Authorization: Bearer <token>`; the view gets request.user set."""

    @csrf_exempt  # bearer tokens are not sent by browsers on their own, so CSRF does not apply
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        user = user_for_token(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        if user is None:
            response = error(401, "a valid bearer token is required (manage.py createtoken USERNAME)")
            response["WWW-Authenticate"] = "Bearer"
            return response
        request.user = user
        return view(request, *args, **kwargs)

    return wrapper


def paginate(request, queryset):
    try:
        page_number = int(request.GET.get("page", "1"))
        page = Paginator(queryset, PAGE_SIZE).page(page_number)
    except (ValueError, EmptyPage):
        return None
    return page


@token_required
@require_GET
def group_list(request, project_id: int):
    if not projects_for(request.user).filter(id=project_id).exists():
        return error(404, "no such project")
    try:
        filters = GroupFilters.from_params(request.GET)
    except ValueError as exc:
        return error(400, str(exc))
    page = paginate(request, groups_for_project(project_id, filters).distinct())
    if page is None:
        return error(400, "page out of range")
    return JsonResponse({"results": [group_json(g) for g in page], "page": page.number, "pages": page.paginator.num_pages})


@token_required
@require_GET
def group_events(request, group_id: int):
    group = ErrorGroup.objects.filter(id=group_id, project__in=projects_for(request.user)).first()
    if group is None:
        return error(404, "no such group")
    events = ErrorEvent.objects.filter(group=group).select_related("release").order_by("-received_at", "-id")
    page = paginate(request, events)
    if page is None:
        return error(400, "page out of range")
    return JsonResponse({"results": [event_json(e) for e in page], "page": page.number, "pages": page.paginator.num_pages})


def group_json(group: ErrorGroup) -> dict:
    return {
        "id": group.id,
        "title": group.title,
        "culprit": group.culprit,
        "level": group.level,
        "status": group.status,
        "substatus": group.substatus,
        "count": group.event_count,
        "users_affected": group.users_affected,
        "first_seen": group.first_seen.isoformat(),
        "last_seen": group.last_seen.isoformat(),
        "assignee": group.assignee.username if group.assignee else None,
        "first_release": group.first_release.version if group.first_release else None,
        "releases": [{"version": r.release.version, "count": r.count} for r in group.release_counts.all()],
        "flags": [{"key": f.key, "value": f.value, "count": f.count} for f in group.flag_counts.all()],
        "fingerprint": group.fingerprint,
        "algorithm": group.algorithm,
    }


def event_json(event: ErrorEvent) -> dict:
    return {
        "id": event.id,
        "event_id": event.event_id,
        "group_id": event.group_id,
        "timestamp": event.timestamp.isoformat(),
        "received_at": event.received_at.isoformat(),
        "release": event.release.version if event.release else None,
        "environment": event.environment,
        "level": event.level,
        "title": event.title,
        "user": event.user_key,
        "trace_id": event.trace_id,
        "flags": event.flags,
        "payload": json.loads(event.payload),
    }
