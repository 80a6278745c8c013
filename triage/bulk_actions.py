"""Bulk actions of the group list: one triage change applied to many groups, each on its own.

Each group goes through the same function as its own page's button (triage.actions, or
triage.grouping.regroup for a merge), in its own transaction, writing the same activity row.
Groups the user cannot see (another project's, or gone) and groups a change refuses (an assignee
who is not a member of that group's project) are listed with the reason; they never stop the
others. Callers check the triage permission; visibility is checked here, per group.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from triage import actions
from triage.access import groups_for_user
from triage.grouping import regroup
from triage.grouping.count_moves import CountsBusy
from triage.models import ErrorGroup, GroupStatus

ACTIONS = {"resolve": "resolved", "ignore": "ignored", "reopen": "reopened", "assign": "assigned", "merge": "merged"}
MAX_GROUPS = 100  # a page is 25 rows; "select all" never sends more than a few pages' worth


@dataclass
class BulkResult:
    action: str
    changed: list[ErrorGroup] = field(default_factory=list)
    unchanged: list[ErrorGroup] = field(default_factory=list)  # already in the state asked for
    refused: list[tuple[int, str]] = field(default_factory=list)  # (group id, why)
    merged_into: ErrorGroup | None = None

    @property
    def summary(self) -> str:
        verb = ACTIONS[self.action]
        if self.merged_into is not None:
            n = len(self.changed)
            return f"Merged {n} group{'s' if n != 1 else ''} into #{self.merged_into.id} ({self.merged_into.title[:80]})."
        parts = [f"{verb.capitalize()} {len(self.changed)} group{'s' if len(self.changed) != 1 else ''}"]
        if self.unchanged:
            parts.append(f"{len(self.unchanged)} already {verb}")
        return "; ".join(parts) + "."

    @property
    def problems(self) -> str:
        """Why the refused groups were refused, one clause per reason: "Not assigned: #3, #9: bob is
        not a member of billing."."""
        by_reason: dict[str, list[int]] = {}
        for gid, why in self.refused:
            by_reason.setdefault(why.rstrip("."), []).append(gid)
        clauses = [f"{', '.join(f'#{g}' for g in gids[:10])}{' …' if len(gids) > 10 else ''}: {why}" for why, gids in by_reason.items()]
        return f"Not {ACTIONS[self.action]}: {'; '.join(clauses)}." if clauses else ""


def apply_bulk(user, group_ids: list[int], action: str, *, now: dt.datetime, redis=None, assignee: str = "",
               more_events: int | None = None, until: dt.datetime | None = None) -> BulkResult:
    """Applies `action` (one of ACTIONS) to the groups the user may see among `group_ids`.
    ValueError for an unknown action, no group or too many; everything else is per group."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown action {action!r}.")
    ids = list(dict.fromkeys(group_ids))
    if not ids:
        raise ValueError("Select one or more groups first.")
    if len(ids) > MAX_GROUPS:
        raise ValueError(f"Select at most {MAX_GROUPS} groups at once.")
    visible = {g.id: g for g in groups_for_user(user).filter(id__in=ids).select_related("project", "assignee")}
    result = BulkResult(action, refused=[(gid, "no such group") for gid in ids if gid not in visible])
    groups = [visible[gid] for gid in ids if gid in visible]
    if action == "merge":
        return _merge(result, groups, user, now, redis)
    for group in groups:
        if _already(group, action, assignee):
            result.unchanged.append(group)
            continue
        try:
            _change(group, action, user, now, assignee, more_events, until)
        except ValueError as exc:
            result.refused.append((group.id, str(exc)))
        else:
            result.changed.append(group)
    return result


def _already(group: ErrorGroup, action: str, assignee: str) -> bool:
    if action == "resolve":
        return group.status == GroupStatus.RESOLVED
    if action == "reopen":
        return group.status == GroupStatus.UNRESOLVED
    if action == "assign":
        return (group.assignee.get_username() if group.assignee else "") == assignee
    return False


def _change(group, action, user, now, assignee, more_events, until) -> None:
    if action == "resolve":
        actions.resolve(group, actor=user, now=now)
    elif action == "reopen":
        actions.reopen(group, actor=user, now=now)
    elif action == "ignore":
        actions.ignore(group, actor=user, now=now, more_events=more_events, until=until)
    else:
        actions.assign_by_username(group, assignee or None, actor=user, now=now)


def _merge(result: BulkResult, groups: list[ErrorGroup], user, now, redis) -> BulkResult:
    try:
        result.merged_into = regroup.merge_groups(redis, [g.id for g in groups], actor=user, now=now)
    except (ValueError, CountsBusy) as exc:
        if not groups:
            raise ValueError(str(exc)) from None
        result.refused.extend((g.id, str(exc)) for g in groups)
        return result
    result.changed = [g for g in groups if g.id != result.merged_into.id]
    return result
