"""Fingerprints → group rows: find or create each batch's groups, then fold new events into them.

A few queries per batch whatever its size: two to find groups (by their fingerprint, and by the
further fingerprints of GroupFingerprint), one to create the missing ones, one to lock them (in id
order, so two workers never deadlock), one to attach fingerprints, one to update them.

After a grouping upgrade a project is in transition (FingerprintTransition) for
SWITCHYARD["FINGERPRINT_TRANSITION_DAYS"]: its events carry the previous algorithm's fingerprint
too, tried when the new one finds no group; when it finds the group the old algorithm made, the new
fingerprint is attached to that group, so the group keeps its events once the transition is over.
Sentry does the same with the secondary hashes of a grouping config upgrade
(https://docs.sentry.io/concepts/data-management/event-grouping/#grouping-algorithm-updates).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import OperationalError

from triage import bulk
from triage.models import (
    ErrorGroup,
    FingerprintTransition,
    GroupActivity,
    GroupActivityKind,
    GroupFingerprint,
    GroupFingerprintKind,
    GroupStatus,
    GroupSubstatus,
    Release,
)

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
    # The previous algorithm's fingerprints of the event, tried in order when ``fingerprint`` finds
    # no group (the transition); the group one finds is given ``fingerprint``.
    previous: tuple[str, ...] = ()
    # Further fingerprints that find a group made from this seed (a raise-helper's caller variant).
    also: tuple[str, ...] = ()


def lock_groups(seeds: Sequence[GroupSeed]) -> dict[tuple[int, str], ErrorGroup]:
    """Returns the batch's groups, keyed by (project, seed fingerprint), found or created, locked
    for this transaction. A seed's fingerprint finds a group as its ErrorGroup.fingerprint or as a
    GroupFingerprint; failing that, its ``previous`` fingerprints are tried; failing that, it makes
    a new group.

    A merge or an unmerge (triage.grouping.regroup) moves fingerprints between groups while it
    holds their locks, so a fingerprint read before its group's lock was granted may lead
    elsewhere by then, or to a group merged away. The fingerprints are read again once the locks
    are held: what they find then cannot change before this transaction ends, and a batch whose
    fingerprints moved locks their new groups too.
    """
    wanted: dict[tuple[int, str], GroupSeed] = {}
    for seed in seeds:
        wanted.setdefault((seed.project_id, seed.fingerprint), seed)  # the batch's first event names the group
    projects = {p for p, _ in wanted}
    fingerprints = {h for s in wanted.values() for h in (s.fingerprint, *s.previous)}
    found = _find_groups(projects, fingerprints)
    for _ in range(MAX_LOCK_ROUNDS):
        ids, attach, missing = _resolve(wanted, found)
        if missing:
            # In one order everywhere: two batches making the same new groups (a hot project's events
            # in two partitions) wait on each other's inserts, and in opposite orders would deadlock.
            ordered = sorted(missing, key=lambda seed: (seed.project_id, seed.fingerprint))
            ErrorGroup.objects.bulk_create([_new_group(seed) for seed in ordered], ignore_conflicts=True)
            found = _find_groups(projects, fingerprints)
            ids, attach, missing = _resolve(wanted, found)
        locked = {g.id: g for g in ErrorGroup.objects.select_for_update().filter(id__in=set(ids.values())).order_by("id")}
        found = _find_groups(projects, fingerprints)
        if not missing and all(i in locked for i in ids.values()) and _resolve(wanted, found)[0] == ids:
            break
    else:
        raise GroupsMoving("the batch's groups kept being merged or split while it waited for them")
    groups = {key: locked[ids[key]] for key in wanted}
    made = {g.id for g in groups.values() if g.event_count == 0}
    for seed in wanted.values():
        group_id = groups[(seed.project_id, seed.fingerprint)].id
        if group_id in made:
            attach.extend(_attachment(seed, h, group_id, GroupFingerprintKind.RAISE_HELPER) for h in seed.also)
    attach_fingerprints(attach)
    return groups


# A merge or unmerge moving this batch's fingerprints between two reads: a third read is rare,
# a fourth never seen; past it the batch is retried as after any database error.
MAX_LOCK_ROUNDS = 4


class GroupsMoving(OperationalError):
    """The batch's fingerprints kept moving between groups; retried like a lock timeout
    (triage.stream.outage), never blamed on the messages."""


def _resolve(wanted: dict[tuple[int, str], GroupSeed], found: dict[tuple[int, str], int]):
    """(key → group id, fingerprints to attach, seeds with no group) from what the fingerprints find."""
    ids: dict[tuple[int, str], int] = {}
    attach: list[dict] = []
    missing: list[GroupSeed] = []
    for key, seed in wanted.items():
        group_id = found.get(key)
        if group_id is None:
            group_id = next((found[(seed.project_id, h)] for h in seed.previous if (seed.project_id, h) in found), None)
            if group_id is not None:
                attach.append(_attachment(seed, seed.fingerprint, group_id, GroupFingerprintKind.TRANSITION))
        if group_id is None:
            missing.append(seed)
        else:
            ids[key] = group_id
    return ids, attach, missing


def _find_groups(projects: set[int], fingerprints: set[str]) -> dict[tuple[int, str], int]:
    """(project, fingerprint) → group id, through the groups' own fingerprints and then the others."""
    extra = GroupFingerprint.objects.filter(project_id__in=projects, fingerprint__in=fingerprints)
    found = {(p, f): g for p, f, g in extra.values_list("project_id", "fingerprint", "group_id")}
    own = ErrorGroup.objects.filter(project_id__in=projects, fingerprint__in=fingerprints)
    found.update(((p, f), g) for p, f, g in own.values_list("project_id", "fingerprint", "id"))
    return found


def _attachment(seed: GroupSeed, fingerprint: str, group_id: int, kind: str) -> dict:
    return {
        "project": seed.project_id, "fingerprint": fingerprint, "group": group_id,
        "algorithm": seed.algorithm, "kind": kind, "created_at": seed.seen,
    }


def attach_fingerprints(rows: list[dict]) -> None:
    """Records further fingerprints of groups; one that already finds a group keeps it."""
    bulk.increment(
        GroupFingerprint, ["project", "fingerprint"], rows, count_field=None, seen_fields=None,
        insert_only=["group", "algorithm", "kind", "created_at"],
    )


def previous_algorithms(project_ids: set[int], now: dt.datetime) -> dict[int, str]:
    """Project → the algorithm it upgraded from, for the projects still in their transition."""
    days = settings.SWITCHYARD["FINGERPRINT_TRANSITION_DAYS"]
    since = now - dt.timedelta(days=days)
    rows = FingerprintTransition.objects.filter(project_id__in=project_ids, started_at__gt=since)
    return dict(rows.values_list("project_id", "previous_algorithm"))


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
    # Several fingerprints of a batch may find one group (merged ones, a transition's pair): fold once.
    groups = list({g.id: g for g in groups}.values())
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
