"""The flags REST API for CI/CD: the same bearer tokens as the groups API (projects.api).

Members of a project read its flags; creating needs `flags.add_flag`, changing and disabling
`flags.change_flag`. Bad input answers 400 `{"detail": message}`; a change held for approval
409 `{"detail", "approval_required": true, "widening": [...]}` (ask with …/approval-requests/).
"""

from __future__ import annotations

from functools import wraps

from django.http import JsonResponse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from flags import audit, changes, prerequisites
from flags.access import CHANGE_FLAG, flag_for_user
from flags.policy import ApprovalRequired
from flags.serializers import environment_states, flag_fields, flag_json, reason_of
from flags.validation import InvalidChange, message
from projects.access import project_member_required, require_perm
from projects.api import BadRequest, json_body, page_json, paginate, token_required


def answers_bad_input(view):
    """InvalidChange from flags.changes and flags.validation becomes a 400 with its message."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except ApprovalRequired as exc:
            return JsonResponse({"detail": message(exc), "approval_required": True, "environment": exc.environment,
                                 "widening": exc.widening}, status=409)
        except InvalidChange as exc:
            raise BadRequest(message(exc)) from None

    return wrapper


@token_required
@require_http_methods(["GET", "POST"])
@project_member_required
@answers_bad_input
def flag_collection(request, project):
    if request.method == "GET":
        return page_json(paginate(request, project.flags.select_related("owner").prefetch_related("environments")), flag_json)
    require_perm(request.user, "flags.add_flag")
    data = json_body(request)
    fields = {"owner": None, **flag_fields(data, project)}  # no owner: create_flag refuses with a message
    flag = changes.create_flag(project, key=data.get("key"), value_type=data.get("value_type", "boolean"), actor=request.user,
                               source="api", environments=environment_states(data), reason=reason_of(data), **fields)
    return JsonResponse(flag_json(flag), status=201)


@token_required
@require_http_methods(["GET", "PATCH"])
@answers_bad_input
def flag_resource(request, project_id: int, key: str):
    flag = flag_for_user(request.user, project_id, key, perm=CHANGE_FLAG if request.method == "PATCH" else None)
    if request.method == "PATCH":
        data = json_body(request)
        changes.change_flag(flag, fields=flag_fields(data, flag.project), states=environment_states(data),
                            actor=request.user, source="api", reason=reason_of(data))
        flag.refresh_from_db()
    return JsonResponse(flag_json(flag, dependants=prerequisites.dependants(flag.project_id, flag.key)))


def _switch(request, project_id: int, key: str, turn):
    flag = flag_for_user(request.user, project_id, key, perm=CHANGE_FLAG)
    data = json_body(request)
    environment = data.get("environment")
    if not isinstance(environment, str) or not environment:
        raise BadRequest("environment is required")
    change = turn(flag, environment, actor=request.user, reason=reason_of(data), source="api")
    return JsonResponse({"changed": change is not None, "change": audit.change_json(change) if change else None})


@token_required
@require_POST
@answers_bad_input
def flag_disable(request, project_id: int, key: str):
    """The kill switch for pipelines: {"environment": "production", "reason": "…"}. Idempotent."""
    return _switch(request, project_id, key, changes.disable_flag)


@token_required
@require_POST
@answers_bad_input
def flag_enable(request, project_id: int, key: str):
    return _switch(request, project_id, key, changes.enable_flag)


@token_required
@require_GET
@project_member_required
def change_list(request, project):
    """The audit log as JSON, newest first; `?flag=<key>` for one flag."""
    return page_json(paginate(request, audit.changes_for(project, request.GET.get("flag"))), audit.change_json)
