"""Which flags, segments and approval requests a user may see and change, built on
projects.access: an object of another project is a 404 like the project itself (existence is not
disclosed); a change needs its permission (403)."""

from __future__ import annotations

from django.http import Http404

from flags.models import ApprovalRequest, Flag, Segment
from projects.access import member_object, require_perm
from projects.members import projects_for

CHANGE_FLAG = "flags.change_flag"


def flag_for_user(user, project_id: int, key: str, *, perm: str | None = None) -> Flag:
    flag = member_object(user, Flag.objects.select_related("project", "owner"), "flag", project_id=project_id, key=key)
    if perm is not None:
        require_perm(user, perm)
    return flag


def segment_for_user(user, project_id: int, key: str, *, perm: str | None = None) -> Segment:
    segment = member_object(user, Segment.objects.select_related("project"), "segment", project_id=project_id, key=key)
    if perm is not None:
        require_perm(user, perm)
    return segment


def approval_request_for_user(user, project_id: int, request_id: int) -> ApprovalRequest:
    found = (ApprovalRequest.objects.select_related("flag__project", "requested_by", "reviewed_by", "schedule")
             .filter(flag__project__in=projects_for(user), flag__project_id=project_id, pk=request_id).first())
    if found is None:
        raise Http404("no such approval request")
    return found
