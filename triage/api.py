"""The read-only JSON API for scripts and CI: bearer tokens, the user's own projects only."""

from __future__ import annotations

import datetime as dt
import json
from functools import wraps

from django.core.paginator import EmptyPage, Paginator
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from triage import actions
from triage.models import ErrorEvent, ErrorGroup
from triage.projects import projects_for, user_for_token
from triage.queries import GroupFilters, groups_for_project, with_breakdowns

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


@token_required
@require_http_methods(["PUT", "POST"])
def group_update(request, group_id: int):
    """Triage a group like the dashboard does: {"status": "resolved" | "resolved_in_next_release" |
    "ignored" | "unresolved", "ignore_count": n, "ignore_until": ISO time, "assignee": username | null}."""
    group = ErrorGroup.objects.select_related("project").filter(id=group_id, project__in=projects_for(request.user)).first()
    if group is None:
        return error(404, "no such group")
    if not request.user.has_perm("triage.change_errorgroup"):
        return error(403, "needs the triage.change_errorgroup permission")
    try:
        body = json.loads(request.body or b"{}")
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        apply_update(group, body, request.user, timezone.now())
    except ValueError as exc:
        return error(400, str(exc))
    return JsonResponse(group_json(with_breakdowns(ErrorGroup.objects.filter(id=group.id)).get()))


def apply_update(group: ErrorGroup, body: dict, user, now: dt.datetime) -> None:
    """Calls the triage.actions function for each change the body asks for. Everything is checked
    before anything changes: ValueError for a malformed body leaves the group as it was."""
    status = body.get("status")
    if status not in (None, "resolved", "resolved_in_next_release", "ignored", "unresolved"):
        raise ValueError("status must be resolved, resolved_in_next_release, ignored or unresolved")
    count, until = body.get("ignore_count"), body.get("ignore_until")
    if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 1):
        raise ValueError("ignore_count must be a number of events, 1 or more")
    until = dt.datetime.fromisoformat(str(until)) if until else None
    if until is not None and until.tzinfo is None:
        until = until.replace(tzinfo=dt.UTC)
    if status == "ignored" and until is not None and until <= now:
        raise ValueError("ignore_until must be in the future")
    name = body.get("assignee")
    assignee = group.project.members.filter(username=name).first() if name else None
    if name and assignee is None:
        raise ValueError(f"{name} is not a member of this project")
    if status == "resolved_in_next_release" and actions.latest_release(group.project_id, now) is None:
        raise ValueError("this project has sent no release yet: resolve it instead")
    changes = {
        "resolved": lambda: actions.resolve(group, actor=user, now=now),
        "resolved_in_next_release": lambda: actions.resolve_in_next_release(group, actor=user, now=now),
        "ignored": lambda: actions.ignore(group, actor=user, now=now, more_events=count, until=until),
        "unresolved": lambda: actions.reopen(group, actor=user, now=now),
    }
    if status is not None:
        changes[status]()
    if "assignee" in body:
        actions.assign(group, assignee, actor=user, now=now)


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
