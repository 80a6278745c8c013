"""The flags REST API for CI/CD: the same bearer tokens as the groups API (triage.api).

Members of a project read its flags; creating needs `flags.add_flag`, changing and disabling
`flags.change_flag`. Bad input answers 400 `{"detail": message}`.
"""

from __future__ import annotations

from functools import wraps

from django.http import JsonResponse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from flags import audit, changes
from flags.access import visible_flag, visible_project
from flags.serializers import environment_states, flag_fields, flag_json, parse_json_body, reason_of
from flags.validation import InvalidChange, message
from triage.api import error, paginate, token_required


def answers_bad_input(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except InvalidChange as exc:
            return error(400, message(exc))

    return wrapper


def _denied(request, perm: str):
    return None if request.user.has_perm(perm) else error(403, f"needs the {perm} permission")


@token_required
@require_http_methods(["GET", "POST"])
@answers_bad_input
def flag_collection(request, project_id: int):
    project = visible_project(request.user, project_id)
    if project is None:
        return error(404, "no such project")
    if request.method == "GET":
        page = paginate(request, project.flags.select_related("owner").prefetch_related("environments"))
        if page is None:
            return error(400, "page out of range")
        return JsonResponse({"results": [flag_json(f) for f in page], "page": page.number, "pages": page.paginator.num_pages})
    if denied := _denied(request, "flags.add_flag"):
        return denied
    data = parse_json_body(request.body)
    fields = {"owner": None, **flag_fields(data, project)}  # no owner: create_flag refuses with a message
    flag = changes.create_flag(project, key=data.get("key"), value_type=data.get("value_type", "boolean"), actor=request.user,
                               source="api", environments=environment_states(data), reason=reason_of(data), **fields)
    return JsonResponse(flag_json(flag), status=201)


@token_required
@require_http_methods(["GET", "PATCH"])
@answers_bad_input
def flag_resource(request, project_id: int, key: str):
    flag = visible_flag(request.user, project_id, key)
    if flag is None:
        return error(404, "no such flag")
    if request.method == "PATCH":
        if denied := _denied(request, "flags.change_flag"):
            return denied
        data = parse_json_body(request.body)
        changes.change_flag(flag, fields=flag_fields(data, flag.project), states=environment_states(data),
                            actor=request.user, source="api", reason=reason_of(data))
        flag.refresh_from_db()
    return JsonResponse(flag_json(flag))


def _switch(request, project_id: int, key: str, turn):
    flag = visible_flag(request.user, project_id, key)
    if flag is None:
        return error(404, "no such flag")
    if denied := _denied(request, "flags.change_flag"):
        return denied
    data = parse_json_body(request.body)
    environment = data.get("environment")
    if not isinstance(environment, str) or not environment:
        return error(400, "environment is required")
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
def change_list(request, project_id: int):
    """The audit log as JSON, newest first; `?flag=<key>` for one flag."""
    project = visible_project(request.user, project_id)
    if project is None:
        return error(404, "no such project")
    page = paginate(request, audit.changes_for(project, request.GET.get("flag")))
    if page is None:
        return error(400, "page out of range")
    return JsonResponse({"results": [audit.change_json(c) for c in page], "page": page.number, "pages": page.paginator.num_pages})
