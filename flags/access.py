"""Which flags a user may see and change, built on projects.access: a flag of another project is
a 404 like the project itself (existence is not disclosed); a change needs its permission (403)."""

from __future__ import annotations

from flags.models import Flag
from projects.access import member_object, require_perm

CHANGE_FLAG = "flags.change_flag"


def flag_for_user(user, project_id: int, key: str, *, perm: str | None = None) -> Flag:
    flag = member_object(user, Flag.objects.select_related("project", "owner"), "flag", project_id=project_id, key=key)
    if perm is not None:
        require_perm(user, perm)
    return flag
