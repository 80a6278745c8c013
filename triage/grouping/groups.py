"""Fingerprints → group rows: find or create each batch's groups, then fold new events into them.

A few queries per batch whatever its size: one to find groups, one to create the missing ones,
one to lock them (in id order, so two workers never deadlock), one to update them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from triage.models import ErrorGroup, GroupActivity, GroupActivityKind, GroupStatus, GroupSubstatus, Release

GROUP_UPDATE_FIELDS = [
    "event_count", "last_seen", "last_release", "level", "status", "substatus", "resolved_at",
    "ignore_until", "ignore_until_count",
]


def row_of(group: ErrorGroup) -> dict:
    """The group's updatable values keyed by attribute name, for bulk.update_rows."""
    row = {"id": group.id}
    for name in GROUP_UPDATE_FIELDS:
        attname = ErrorGroup._meta.get_field(name).attname
        row[attname] = getattr(group, attname)
    return row
LEVEL_RANK = {"debug": 0, "info": 1, "warning": 2, "error": 3, "fatal": 4}


@dataclass(frozen=True)
class GroupSeed:
    """What a new group is made from: the first event of its fingerprint in the batch."""

    project_id: int
    fingerprint: str
    algorithm: str
    components: list
    title: str
    culprit: str
    level: str
    seen: dt.datetime
    release_id: int | None


def lock_groups(seeds: Sequence[GroupSeed]) -> dict[tuple[int, str], ErrorGroup]:
    """Returns the batch's groups, created where missing, locked for this transaction."""
    wanted: dict[tuple[int, str], GroupSeed] = {}
    for seed in seeds:
        wanted.setdefault((seed.project_id, seed.fingerprint), seed)  # the batch's first event names the group
    projects = {p for p, _ in wanted}
    fingerprints = {f for _, f in wanted}
    found = set(
        ErrorGroup.objects.filter(project_id__in=projects, fingerprint__in=fingerprints).values_list(
            "project_id", "fingerprint"
        )
    )
    missing = [seed for key, seed in wanted.items() if key not in found]
    if missing:
        ErrorGroup.objects.bulk_create([_new_group(seed) for seed in missing], ignore_conflicts=True)
    locked = (
        ErrorGroup.objects.select_for_update()
        .filter(project_id__in=projects, fingerprint__in=fingerprints)
        .order_by("id")
    )
    return {(g.project_id, g.fingerprint): g for g in locked if (g.project_id, g.fingerprint) in wanted}


def _new_group(seed: GroupSeed) -> ErrorGroup:
    return ErrorGroup(
        project_id=seed.project_id,
        fingerprint=seed.fingerprint,
        algorithm=seed.algorithm,
        components=seed.components,
        title=seed.title[:255],
        culprit=seed.culprit[:255],
        level=seed.level,
        first_seen=seed.seen,
        last_seen=seed.seen,
        first_release_id=seed.release_id,
        last_release_id=seed.release_id,
    )


@dataclass(frozen=True)
class GroupHit:
    """A new (not duplicate) event, as the group sees it."""

    group_id: int
    seen: dt.datetime
    level: str
    release_id: int | None


def fold_events(
    groups: Sequence[ErrorGroup], hits: Sequence[GroupHit], now: dt.datetime
) -> tuple[list[ErrorGroup], list[GroupActivity]]:
    """Adds new events to their (locked) groups and applies status rules; returns the changed
    groups and the activity rows of the status changes the events caused (unsaved)."""
    by_group = defaultdict(list)
    for hit in hits:
        by_group[hit.group_id].append(hit)
    releases = _release_first_seen({h.release_id for h in hits} | _resolved_release_ids(groups))
    changed, activity = [], []
    for group in groups:
        group_hits = by_group.get(group.id)
        if not group_hits:
            continue
        latest = max(group_hits, key=lambda h: h.seen)
        group.event_count += len(group_hits)
        if latest.seen >= group.last_seen:
            group.last_seen = latest.seen
            group.last_release_id = latest.release_id or group.last_release_id
        group.level = max([group.level, *(h.level for h in group_hits)], key=lambda lv: LEVEL_RANK.get(lv, 3))
        kind = _reopen_if_due(group, group_hits, releases, now)
        if kind:
            activity.append(GroupActivity(group=group, kind=kind, data={"release_id": latest.release_id}, created_at=now))
        changed.append(group)
    return changed, activity


def _reopen_if_due(group: ErrorGroup, hits: Sequence[GroupHit], releases: dict, now: dt.datetime) -> str | None:
    """Reopens a resolved group on a regression, an ignored one when its condition is met."""
    if group.status == GroupStatus.RESOLVED and any(_regresses(group, h, releases) for h in hits):
        group.status, group.substatus, group.resolved_at = GroupStatus.UNRESOLVED, GroupSubstatus.REGRESSED, None
        return GroupActivityKind.REGRESSED
    if group.status == GroupStatus.IGNORED:
        expired = group.ignore_until is not None and group.ignore_until <= now
        exceeded = group.ignore_until_count is not None and group.event_count >= group.ignore_until_count
        if expired or exceeded:
            group.status, group.substatus = GroupStatus.UNRESOLVED, GroupSubstatus.ONGOING
            group.ignore_until = group.ignore_until_count = None
            return GroupActivityKind.REOPENED
    return None


def _regresses(group: ErrorGroup, hit: GroupHit, releases: dict) -> bool:
    """An event regresses a resolved group unless it comes from the release it was resolved in,
    or from an older one ("resolve in next release"). Events with no release always regress."""
    if group.resolved_at is not None and hit.seen < group.resolved_at:
        # Received before the resolve, digested after it: not a regression (getsentry/sentry#30371).
        return False
    resolved = releases.get(("version", group.project_id, group.resolved_in_release))
    if not group.resolved_in_release or hit.release_id is None or resolved is None:
        return True
    version, first_seen = releases.get(hit.release_id, (None, None))
    if version == group.resolved_in_release:
        return False
    return first_seen is None or first_seen > resolved


def _resolved_release_ids(groups: Sequence[ErrorGroup]) -> set:
    return {(g.project_id, g.resolved_in_release) for g in groups if g.status == GroupStatus.RESOLVED and g.resolved_in_release}


def _release_first_seen(keys: set) -> dict:
    ids = {k for k in keys if isinstance(k, int)}
    versions = {k for k in keys if isinstance(k, tuple)}
    result: dict = {}
    if ids:
        for rid, version, first_seen in Release.objects.filter(id__in=ids).values_list("id", "version", "first_seen"):
            result[rid] = (version, first_seen)
    for project_id, version in versions:
        row = Release.objects.filter(project_id=project_id, version=version).values_list("first_seen", flat=True).first()
        if row is not None:
            result[("version", project_id, version)] = row
    return result
