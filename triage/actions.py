"""Triage state changes on a group: one function per change, called by the dashboard and the API alike.

Each change locks the group row first. The worker locks the same row while it folds new events into
it (triage.grouping.groups.lock_groups), so a resolve and a batch of events never overwrite each other:
whichever commits second sees the other's result. Each change writes its GroupActivity row in the
same transaction. Callers check access and permissions; these functions check the data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.db import transaction

from triage.models import (
    ErrorGroup,
    GroupActivity,
    GroupActivityKind,
    GroupStatus,
    GroupSubstatus,
    GroupSuggestion,
    ProjectOwnership,
    Release,
    SuggestionSource,
)

if TYPE_CHECKING:
    from triage.attribution.owners import Suggestion

STATUS_FIELDS = ["status", "substatus", "resolved_at", "resolved_in_release", "ignore_until", "ignore_until_count"]
# The event count plus this must fit the bigint column; a 30-digit count was a 500 (issue 8).
MAX_IGNORE_EVENTS = 1_000_000_000


def resolve(group: ErrorGroup, *, actor, now: dt.datetime) -> ErrorGroup:
    """Resolved: any later event reopens the group as regressed."""

    def apply(g: ErrorGroup) -> dict:
        _set_status(g, GroupStatus.RESOLVED, GroupSubstatus.NONE, resolved_at=now)
        return {}

    return _change(group, actor, now, GroupActivityKind.RESOLVED, apply, STATUS_FIELDS)


def resolve_in_next_release(group: ErrorGroup, *, actor, now: dt.datetime) -> ErrorGroup:
    """Resolved in the release after the newest one seen so far: events from that newest release or
    older ones (stragglers still deployed) keep it resolved; a later release regresses it.

    Raises ValueError when the project has no release yet (plain resolve is the choice then).
    """
    latest = latest_release(group.project_id, now)
    if latest is None:
        raise ValueError("This project has sent no release yet: resolve it instead.")

    def apply(g: ErrorGroup) -> dict:
        _set_status(g, GroupStatus.RESOLVED, GroupSubstatus.NONE, resolved_at=now, resolved_in_release=latest.version)
        return {"after_release": latest.version}

    return _change(group, actor, now, GroupActivityKind.RESOLVED_IN_NEXT_RELEASE, apply, STATUS_FIELDS)


def ignore(
    group: ErrorGroup, *, actor, now: dt.datetime, more_events: int | None = None, until: dt.datetime | None = None
) -> ErrorGroup:
    """Ignored until `more_events` further events arrive or `until` passes (whichever comes first);
    with neither, ignored for good. Raises ValueError for a count outside 1…MAX_IGNORE_EVENTS or a
    moment in the past."""
    if more_events is not None and not 1 <= more_events <= MAX_IGNORE_EVENTS:
        raise ValueError(f"Ignore until 1 to {MAX_IGNORE_EVENTS:,} more events.")
    if until is not None and until <= now:
        raise ValueError("Ignore until a moment in the future.")

    def apply(g: ErrorGroup) -> dict:
        count = g.event_count + more_events if more_events is not None else None
        _set_status(g, GroupStatus.IGNORED, GroupSubstatus.NONE, ignore_until=until, ignore_until_count=count)
        return {"more_events": more_events, "until": until.isoformat() if until else None}

    return _change(group, actor, now, GroupActivityKind.IGNORED, apply, STATUS_FIELDS)


def reopen(group: ErrorGroup, *, actor, now: dt.datetime) -> ErrorGroup:
    """Back to unresolved (ongoing), forgetting any resolve or ignore condition."""

    def apply(g: ErrorGroup) -> dict:
        _set_status(g, GroupStatus.UNRESOLVED, GroupSubstatus.ONGOING)
        return {}

    return _change(group, actor, now, GroupActivityKind.REOPENED, apply, STATUS_FIELDS)


def project_member(project, username: str):
    """The member of `project` with that username. Only members are assigned groups: ValueError
    for anyone else (every way of assigning comes through here)."""
    member = project.members.filter(username=username).first()
    if member is None:
        raise ValueError(f"{username} is not a member of {project.name}.")
    return member


def assign(group: ErrorGroup, assignee, *, actor, now: dt.datetime, because: Suggestion | None = None) -> ErrorGroup:
    """Hands the group to `assignee` (None: nobody). Raises ValueError for a non-member of its project.
    `because`: the suggestion this follows, noted in the history (its source and reason)."""
    if assignee is not None:
        assignee = project_member(group.project, assignee.get_username())

    def apply(g: ErrorGroup) -> dict:
        g.assignee = assignee
        note = {"source": because.source, "reason": because.reason} if because is not None else {}
        return {"assignee": assignee.get_username(), **note} if assignee else {}

    kind = GroupActivityKind.ASSIGNED if assignee else GroupActivityKind.UNASSIGNED
    return _change(group, actor, now, kind, apply, ["assignee"])


def assign_by_username(group: ErrorGroup, username: str | None, *, actor, now: dt.datetime) -> ErrorGroup:
    """`assign` by username, as forms and the API give it; empty or None unassigns."""
    assignee = project_member(group.project, username) if username else None
    return assign(group, assignee, actor=actor, now=now)


def record_suggestion(group: ErrorGroup, suggestion: Suggestion | None, *, now: dt.datetime,
                      replace_flag_owner: bool = True) -> bool:
    """Keeps `suggestion` as the group's current one (lists read it: the developers page) and notes
    it in the group's history ("suggested": username, source, reason) when it differs from the one
    kept; None forgets the kept one. `replace_flag_owner=False` keeps a flag owner's suggestion,
    for callers that could not weigh the flags (triage.attribution.assignment). True when it changed."""
    with transaction.atomic():
        locked = ErrorGroup.objects.select_for_update().get(pk=group.pk)  # one writer per group at a time
        kept = GroupSuggestion.objects.filter(group=locked).first()
        if suggestion is None:
            return bool(kept) and GroupSuggestion.objects.filter(group=locked).delete()[0] > 0
        if kept is not None and (kept.user_id, kept.source, kept.reason) == (suggestion.user.pk, suggestion.source, suggestion.reason):
            return False
        if kept is not None and kept.source == SuggestionSource.FLAG_OWNER and not replace_flag_owner:
            return False
        GroupSuggestion.objects.update_or_create(
            group=locked, defaults={"user": suggestion.user, "source": suggestion.source, "reason": suggestion.reason, "updated_at": now}
        )
        GroupActivity.objects.create(group=locked, actor=None, kind=GroupActivityKind.SUGGESTED, created_at=now, data=suggestion.as_json())
    return True


def accept_suggestion(group: ErrorGroup, *, actor, now: dt.datetime, suggestion: Suggestion | None = None) -> ErrorGroup:
    """Assigns the group to its suggested developer (`suggestion`, else the one
    triage.attribution.owners.suggest makes now), noting why. ValueError when there is none."""
    if suggestion is None:
        from triage.attribution.owners import suggest

        suggestion = suggest(group)
    if suggestion is None:
        raise ValueError("Nobody is suggested for this group any more.")
    return assign(group, suggestion.user, actor=actor, now=now, because=suggestion)


def auto_assign(group: ErrorGroup, suggestion: Suggestion | None, now: dt.datetime) -> bool:
    """Assigns a new group to `suggestion` when its project auto-assigns. Once only, as Sentry
    does (https://docs.sentry.io/product/issues/ownership-rules/): a group that is not new
    (unresolved, substatus new), is assigned, or was ever assigned or unassigned, by anyone or by
    this, is left alone. True when it assigned."""
    if suggestion is None or not ProjectOwnership.objects.filter(project_id=group.project_id, auto_assign=True).exists():
        return False
    with transaction.atomic():
        locked = ErrorGroup.objects.select_for_update().get(pk=group.pk)  # two callers assign once
        if locked.assignee_id is not None or (locked.status, locked.substatus) != (GroupStatus.UNRESOLVED, GroupSubstatus.NEW):
            return False
        if locked.activity.filter(kind__in=[GroupActivityKind.ASSIGNED, GroupActivityKind.UNASSIGNED]).exists():
            return False
        try:
            assign(locked, suggestion.user, actor=None, now=now, because=suggestion)
        except ValueError:  # no longer a member of the project
            return False
    return True


def record_flag_disabled(group: ErrorGroup, *, actor, now: dt.datetime, flag_key: str, environment: str, reason: str) -> None:
    """Notes on the group that a flag was killed from its page (the flag's own audit row is the record)."""
    GroupActivity.objects.create(
        group=group, actor=actor, kind=GroupActivityKind.FLAG_DISABLED, created_at=now,
        data={"flag": flag_key, "environment": environment, "reason": reason},
    )


def latest_release(project_id: int, now: dt.datetime) -> Release | None:
    return Release.objects.filter(project_id=project_id, first_seen__lte=now).order_by("-first_seen", "-id").first()


def _set_status(group: ErrorGroup, status, substatus, resolved_at=None, resolved_in_release="", ignore_until=None, ignore_until_count=None):
    group.status, group.substatus = status, substatus
    group.resolved_at, group.resolved_in_release = resolved_at, resolved_in_release
    group.ignore_until, group.ignore_until_count = ignore_until, ignore_until_count


def _change(group: ErrorGroup, actor, now: dt.datetime, kind: str, apply: Callable[[ErrorGroup], dict], fields: list[str]) -> ErrorGroup:
    with transaction.atomic():
        locked = ErrorGroup.objects.select_for_update().get(pk=group.pk)
        data = apply(locked)
        locked.save(update_fields=fields)
        GroupActivity.objects.create(group=locked, actor=actor, kind=kind, data=data, created_at=now)
    return locked
