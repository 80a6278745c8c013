"""The groups JSON API for scripts and CI: list groups, read their events, triage them (PUT).

Bearer tokens (projects.api); a user sees the projects they are a member of, and triaging needs
`triage.change_errorgroup`, as in the dashboard.
"""

from __future__ import annotations

import datetime as dt

from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from projects.access import project_member_required
from projects.api import BadRequest, json_body, page_json, paginate, token_required
from triage import actions
from triage.access import group_for_user
from triage.models import ErrorEvent, ErrorGroup
from triage.payloads import read_payload
from triage.queries import GroupFilters, groups_for_project, with_breakdowns


@token_required
@require_GET
@project_member_required
def group_list(request, project):
    try:
        filters = GroupFilters.from_params(request.GET)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    return page_json(paginate(request, groups_for_project(project.id, filters).distinct()), group_json)


@token_required
@require_GET
def group_events(request, group_id: int):
    group = group_for_user(request.user, group_id)
    events = ErrorEvent.objects.filter(group=group).select_related("release").order_by("-received_at", "-id")
    return page_json(paginate(request, events), event_json)


@token_required
@require_http_methods(["PUT", "POST"])
def group_update(request, group_id: int):
    """Triage a group like the dashboard does: {"status": "resolved" | "resolved_in_next_release" |
    "ignored" | "unresolved", "ignore_count": n, "ignore_until": ISO time, "assignee": username | null}."""
    group = group_for_user(request.user, group_id, for_change=True)
    try:
        apply_update(group, json_body(request), request.user, timezone.now())
    except ValueError as exc:  # BadRequest included
        raise BadRequest(str(exc)) from None
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
    assignee = actions.project_member(group.project, name) if name else None
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
        "payload": read_payload(event.payload),
    }
