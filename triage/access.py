"""Which groups a user may see and change: the one place pages and the API load a group from.

Built on projects.access: a group of another project is a 404 (its existence is not disclosed),
and changing one needs `triage.change_errorgroup` (403).
"""

from __future__ import annotations

from django.db.models import QuerySet

from projects.access import member_object, require_perm
from projects.members import projects_for
from triage.models import ErrorGroup, GroupRedirect

CHANGE_GROUP = "triage.change_errorgroup"


def groups_for_user(user) -> QuerySet:
    return ErrorGroup.objects.filter(project__in=projects_for(user))


def group_for_user(user, group_id: int, *, for_change: bool = False) -> ErrorGroup:
    """The group with what its page shows in one query; 404 outside the user's projects, then,
    `for_change`, 403 without the permission to triage."""
    groups = ErrorGroup.objects.select_related("project", "assignee", "first_release", "last_release")
    group = member_object(user, groups, "group", id=group_id)
    if for_change:
        require_perm(user, CHANGE_GROUP)
    return group


def redirected_group_id(user, group_id: int) -> int | None:
    """The group a merged group went into, if the user may see it (else None: still a 404)."""
    redirect = GroupRedirect.objects.filter(previous_group_id=group_id, project__in=projects_for(user)).first()
    return redirect.group_id if redirect is not None else None
