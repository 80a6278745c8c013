"""The approvals REST API: the project's policy, and requests to enable or widen a flag where it
needs a second member's approval.

- `GET/PUT …/flag-policy/` `{"approval_environments": ["production"]}` (PUT needs `projects.change_project`);
- `GET …/approval-requests/?status=pending` (members);
- `POST …/flags/<key>/approval-requests/` `{"environment", "changes": {state fields}, "reason"}`
  (`flags.change_flag`);
- `GET …/approval-requests/<id>/`: the request with the state after it and the flag's error evidence;
- `POST …/approval-requests/<id>/approve/`, `reject/` `{"comment"}` (`flags.change_flag`, another
  member than the requester), `cancel/` (the requester).
"""

from __future__ import annotations

from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from flags import approvals, policy
from flags.access import CHANGE_FLAG, approval_request_for_user, flag_for_user
from flags.models import ApprovalRequest
from flags.serializers import approval_json, reason_of
from flags.validation import InvalidChange
from flags.views.api import answers_bad_input
from flags.views.common import act_on_request
from projects.access import project_member_required, require_perm
from projects.api import json_body, page_json, paginate, token_required


@token_required
@require_http_methods(["GET", "PUT"])
@project_member_required
@answers_bad_input
def policy_resource(request, project):
    if request.method == "PUT":
        require_perm(request.user, "projects.change_project")
        data = json_body(request)
        policy.set_approval_environments(project, data.get("approval_environments"), actor=request.user, source="api",
                                         reason=reason_of(data))
    return JsonResponse({"approval_environments": policy.approval_environments(project.id)})


@token_required
@require_http_methods(["GET"])
@project_member_required
def request_list(request, project):
    rows = ApprovalRequest.objects.filter(flag__project=project).select_related("flag", "requested_by", "reviewed_by")
    if request.GET.get("status"):
        rows = rows.filter(status=request.GET["status"])
    return page_json(paginate(request, rows), approval_json)


@token_required
@require_POST
@answers_bad_input
def request_create(request, project_id: int, key: str):
    flag = flag_for_user(request.user, project_id, key, perm=CHANGE_FLAG)
    data = json_body(request)
    if not isinstance(data.get("changes"), dict):
        raise InvalidChange("changes must be an object of state fields")
    made = approvals.request_change(flag, data.get("environment"), data["changes"], actor=request.user,
                                    reason=reason_of(data), source="api")
    return JsonResponse(approval_json(made), status=201)


@token_required
@require_http_methods(["GET"])
def request_resource(request, project_id: int, request_id: int):
    found = approval_request_for_user(request.user, project_id, request_id)
    after = approvals.preview(found.flag, found.environment, found.changes)[1] if found.changes else None
    evidence = approvals.error_evidence(found.flag.project, found.flag.key, found.environment, timezone.now())
    return JsonResponse(approval_json(found, after, evidence))


@token_required
@require_POST
@answers_bad_input
def request_action(request, project_id: int, request_id: int, action: str):
    found = approval_request_for_user(request.user, project_id, request_id)
    comment = json_body(request).get("comment", "")
    if not isinstance(comment, str):
        raise InvalidChange("comment must be a string")
    act_on_request(found, action, request.user, comment, source="api")
    found.refresh_from_db()
    return JsonResponse(approval_json(found))
