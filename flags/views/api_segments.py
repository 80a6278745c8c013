"""The segments REST API: members read a project's segments; creating needs `flags.add_segment`,
editing `flags.change_segment`, deleting `flags.delete_segment`. Every change is audited."""

from __future__ import annotations

from django.http import JsonResponse
from django.views.decorators.http import require_http_methods

from flags import segments
from flags.access import segment_for_user
from flags.serializers import reason_of, segment_json
from flags.views.api import answers_bad_input
from projects.access import project_member_required, require_perm
from projects.api import json_body, page_json, paginate, token_required


def _fields(data: dict) -> dict:
    return {name: value for name, value in data.items() if name not in ("key", "reason")}


@token_required
@require_http_methods(["GET", "POST"])
@project_member_required
@answers_bad_input
def segment_collection(request, project):
    if request.method == "GET":
        return page_json(paginate(request, project.segments.all()), segment_json)
    require_perm(request.user, "flags.add_segment")
    data = json_body(request)
    segment = segments.create_segment(project, key=data.get("key"), actor=request.user, source="api",
                                      reason=reason_of(data), **_fields(data))
    return JsonResponse(segment_json(segment, []), status=201)


@token_required
@require_http_methods(["GET", "PATCH", "DELETE"])
@project_member_required
@answers_bad_input
def segment_resource(request, project, key: str):
    segment = segment_for_user(request.user, project.id, key)
    if request.method == "DELETE":
        require_perm(request.user, "flags.delete_segment")
        segments.delete_segment(segment, actor=request.user, source="api", reason=request.GET.get("reason", ""))
        return JsonResponse({"deleted": key})
    if request.method == "PATCH":
        require_perm(request.user, "flags.change_segment")
        data = json_body(request)
        segments.update_segment(segment, _fields(data), actor=request.user, source="api", reason=reason_of(data))
        segment.refresh_from_db()
    return JsonResponse(segment_json(segment, segments.flags_using(segment)))
