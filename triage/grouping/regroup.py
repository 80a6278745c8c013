"""Merge and unmerge: groups joined by hand, and fingerprints split back out, kept across new events.

A group is the set of fingerprints that find it (its own, ErrorGroup.fingerprint, and its
GroupFingerprint rows: triage.grouping.groups). Every stored event keeps the fingerprint that
led it there (ErrorEvent.fingerprint), so a group can be split by fingerprint later.

- **Merge** moves the fingerprints of the groups into the one with the most events, as Sentry
  picks it (https://docs.sentry.io/concepts/data-management/event-grouping/merging-issues/),
  with their events, breakdowns, minute counts and history; the merged groups are deleted and
  leave a GroupRedirect, so their pages and links lead to the group they went into. New events
  of a merged fingerprint land in that group from the moment the merge commits.
- **Unmerge** moves chosen fingerprints of a group to a new group, with their stored events, and
  takes what those events counted (per release, environment, flag, tag value, call path and
  minute) from the group to the new one. What was counted from events since pruned by retention
  stays with the group.

Both lock the groups they change in id order, as the digest does (triage.grouping.groups), so a
batch digesting a moved fingerprint waits, then reads where it leads now. Both hold the counts
lock from before their transaction until Redis's counts have followed (triage.grouping.count_moves).
Callers check access and permissions; these functions check the data and raise ValueError with a
message for the person who asked.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max

from projects.models import Project
from triage import bulk
from triage.digest.normalize import event_fields
from triage.fingerprint import fingerprint_event
from triage.grouping import count_moves
from triage.grouping.counters import minute_of
from triage.grouping.groups import LEVEL_RANK
from triage.grouping.rule_changes import project_fingerprint_rules, project_stack_rules
from triage.models import (
    ErrorEvent,
    ErrorGroup,
    GroupActivity,
    GroupActivityKind,
    GroupCallPath,
    GroupEnvironment,
    GroupFingerprint,
    GroupFingerprintKind,
    GroupFlag,
    GroupMinuteCount,
    GroupRedirect,
    GroupRelease,
    GroupSuggestion,
    GroupTagValue,
)
from triage.payloads import read_payload

# The per-group counts a regrouping adds up or splits: model → the fields besides `group` that
# key a row. Rows of other models pointing at a group (its history, alerts, whatever a later
# feature adds) simply follow a merged group.
BREAKDOWNS = {
    GroupRelease: ["release"],
    GroupEnvironment: ["environment"],
    GroupFlag: ["key", "value"],
    GroupTagValue: ["key", "value"],
    GroupCallPath: ["path_hash"],
}
MAX_MERGE = 100


def merge_groups(redis, group_ids: Iterable[int], *, actor, now: dt.datetime) -> ErrorGroup:
    """Merges the groups (two or more, of one project) into the one with the most events; returns it."""
    ids = sorted(set(group_ids))
    if len(ids) < 2:
        raise ValueError("Pick two or more groups to merge.")
    if len(ids) > MAX_MERGE:
        raise ValueError(f"Merge at most {MAX_MERGE} groups at once.")
    with count_moves.counts_lock(redis):
        with transaction.atomic():
            groups = list(ErrorGroup.objects.select_for_update().filter(id__in=ids).order_by("id"))
            if len({g.project_id for g in groups}) > 1:
                raise ValueError("Only groups of one project can be merged.")
            if len(groups) < 2:
                raise ValueError("Pick two or more groups to merge: the others are gone (merged or deleted).")
            into = max(groups, key=lambda g: (g.event_count, -g.id))
            merged = [g for g in groups if g.id != into.id]
            _merge_into(into, merged, actor, now)
            move = count_moves.record_merge(into.id, [g.id for g in merged], now)
        count_moves.apply_after_commit(redis, move)
    return ErrorGroup.objects.get(id=into.id)


def _merge_into(into: ErrorGroup, merged: list[ErrorGroup], actor, now: dt.datetime) -> None:
    ids = [g.id for g in merged]
    for g in merged:  # events stored before fingerprints were kept: they came by the group's own
        ErrorEvent.objects.filter(group=g, fingerprint="").update(fingerprint=g.fingerprint)
    GroupFingerprint.objects.filter(group_id__in=ids).update(group=into)
    GroupFingerprint.objects.bulk_create(
        [GroupFingerprint(project_id=g.project_id, group=into, fingerprint=g.fingerprint, algorithm=g.algorithm,
                          kind=GroupFingerprintKind.MERGED, created_at=now) for g in merged],
        ignore_conflicts=True,
    )
    for model, keys in BREAKDOWNS.items():
        _add_rows(model, keys, into.id, model.objects.filter(group_id__in=ids))
    _add_rows(GroupMinuteCount, ["minute"], into.id, GroupMinuteCount.objects.filter(group_id__in=ids), seen=False)
    _follow(into, ids)
    GroupRedirect.objects.bulk_create(
        [GroupRedirect(project_id=into.project_id, previous_group_id=g.id, group=into, created_at=now) for g in merged]
    )
    _fold_fields(into, merged)
    GroupActivity.objects.create(
        group=into, actor=actor, kind=GroupActivityKind.MERGED, created_at=now,
        data={"groups": [{"id": g.id, "title": g.title[:200]} for g in merged], "events": sum(g.event_count for g in merged)},
    )
    ErrorGroup.objects.filter(id__in=ids).delete()


def _add_rows(model, keys: list[str], into: int, rows, seen: bool = True) -> None:
    """Adds the rows' counts to `into`'s rows of the same key (inserting those it lacks)."""
    names = [model._meta.get_field(k).attname for k in keys]
    spans = ["first_seen", "last_seen"] if seen else []
    extra = ["frames"] if model is GroupCallPath else []
    totals: dict[tuple, dict] = {}
    for values in rows.values(*names, "count", *spans, *extra):
        key = tuple(values[n] for n in names)
        row = totals.get(key)
        if row is None:
            totals[key] = {"group": into, **dict(zip(keys, key, strict=True)), **{f: values[f] for f in ["count", *spans, *extra]}}
            continue
        row["count"] += values["count"]
        if seen:
            row["first_seen"], row["last_seen"] = min(row["first_seen"], values["first_seen"]), max(row["last_seen"], values["last_seen"])
    bulk.increment(model, ["group", *keys], list(totals.values()), seen_fields=tuple(spans) or None, insert_only=extra)


def _follow(into: ErrorGroup, ids: list[int]) -> None:
    """Rows of other models pointing at the merged groups point at `into` instead: its history,
    redirects, alert deliveries, and what later features attach to a group. A row that would
    clash with one of `into`'s own (a one-to-one, a unique pair) stays and goes with its group."""
    handled = {*BREAKDOWNS, GroupMinuteCount, ErrorEvent, GroupFingerprint, GroupSuggestion}
    ErrorEvent.objects.filter(group_id__in=ids).update(group=into)
    for relation in ErrorGroup._meta.get_fields(include_hidden=True):
        if not relation.one_to_many or relation.related_model in handled:
            continue
        field = relation.field.name
        try:
            with transaction.atomic():
                relation.related_model.objects.filter(**{f"{field}__in": ids}).update(**{field: into})
        except IntegrityError:
            pass


def _fold_fields(into: ErrorGroup, merged: list[ErrorGroup]) -> None:
    everyone = [into, *merged]
    first = min(everyone, key=lambda g: (g.first_seen, g.id))
    last = max(everyone, key=lambda g: (g.last_seen, g.id))
    into.event_count = sum(g.event_count for g in everyone)
    into.first_seen, into.first_release_id = first.first_seen, first.first_release_id
    into.last_seen, into.last_release_id = last.last_seen, last.last_release_id
    into.level = max((g.level for g in everyone), key=lambda lv: LEVEL_RANK.get(lv, 3))
    into.assignee_id = into.assignee_id or next((g.assignee_id for g in merged if g.assignee_id), None)
    into.save(update_fields=["event_count", "first_seen", "first_release", "last_seen", "last_release", "level", "assignee"])


def group_fingerprints(group: ErrorGroup) -> list[tuple[str, str, int]]:
    """(fingerprint, how it came to find the group, stored events) of each of the group's
    fingerprints, its own first; events stored before fingerprints were kept count under it."""
    counts = _events_per_fingerprint(ErrorEvent.objects.filter(group=group))
    rows = [(group.fingerprint, "its own", counts.get(group.fingerprint, 0) + counts.get("", 0))]
    for extra in group.extra_fingerprints.order_by("created_at", "id"):
        rows.append((extra.fingerprint, extra.get_kind_display(), counts.get(extra.fingerprint, 0)))
    return rows


def _events_per_fingerprint(events) -> Counter:
    return Counter(dict(events.values("fingerprint").annotate(n=Count("id")).values_list("fingerprint", "n")))


def unmerge_fingerprints(redis, group: ErrorGroup, fingerprints: Iterable[str], *, actor, now: dt.datetime) -> ErrorGroup:
    """Splits `fingerprints` (some of the group's, not all) out of `group` into a new group, with
    their stored events and what those counted; returns the new group."""
    chosen = set(fingerprints)
    if not chosen:
        raise ValueError("Pick the fingerprints to split out.")
    with count_moves.counts_lock(redis):
        with transaction.atomic():
            source = ErrorGroup.objects.select_for_update().select_related("project").filter(id=group.id).first()
            if source is None:
                raise ValueError("This group was merged into another one meanwhile; unmerge from that group's page.")
            extra = {f.fingerprint: f for f in GroupFingerprint.objects.filter(group=source)}
            own = {source.fingerprint, *extra}
            if not chosen <= own:
                raise ValueError("Those are not all fingerprints of this group any more; reload the page.")
            if chosen == own:
                raise ValueError("Keep at least one fingerprint in the group.")
            moved = ErrorEvent.objects.filter(group=source, fingerprint__in=chosen)
            split = _Split.of(moved, source.project)
            target = _new_group(source, chosen, extra, split)
            moved.update(group=target)
            split.move_counts(source, target)
            hot = count_moves.hot_since(now)
            move = count_moves.record_split(source.id, target.id, [e for e in split.events if e[1] >= hot], now)
            split.move_cold_minutes(source.id, target.id, hot)
            _after_split(source, target, split, chosen, actor, now)
        count_moves.apply_after_commit(redis, move)
    return ErrorGroup.objects.get(id=target.id)


class _Split:
    """What the moved events counted, read once (in chunks: their payloads give the tags)."""

    def __init__(self):
        self.count = 0
        self.events: list[tuple[str, int]] = []  # (stream id, minute)
        self.minutes: Counter = Counter()
        self.rows: dict = defaultdict(dict)  # model → key → [count, first, last]
        self.first = self.last = None  # the earliest and latest moved event
        self.level = "debug"
        self.fingerprinted = None  # the earliest moved event, fingerprinted again: the new group's looks

    @classmethod
    def of(cls, events, project: Project) -> _Split:
        split = cls()
        fields = ["id", "received_at", "stream_id", "release_id", "environment", "flags", "call_path_hash", "level", "payload"]
        for event in events.only(*fields).iterator(chunk_size=1000):
            split.add(event)
        if split.first is not None:
            payload = ErrorEvent.objects.filter(id=split.first.id).values_list("payload", flat=True).get()
            split.fingerprinted = fingerprint_event(read_payload(payload), project_stack_rules(project),
                                                    fingerprint_rules=project_fingerprint_rules(project))
        return split

    def add(self, event: ErrorEvent) -> None:
        self.count += 1
        minute = minute_of(event.received_at)
        self.events.append((event.stream_id, minute))
        self.minutes[minute] += 1
        if self.first is None or (event.received_at, event.id) < (self.first.received_at, self.first.id):
            self.first = event
        if self.last is None or (event.received_at, event.id) > (self.last.received_at, self.last.id):
            self.last = event
        self.level = max(self.level, event.level, key=lambda lv: LEVEL_RANK.get(lv, 3))
        seen = event.received_at
        if event.release_id:
            self._tally(GroupRelease, (event.release_id,), seen)
        self._tally(GroupEnvironment, (event.environment,), seen)
        for key, value in (event.flags or {}).items():
            self._tally(GroupFlag, (key, value), seen)
        for key, value in event_fields(read_payload(event.payload), seen).tags:
            self._tally(GroupTagValue, (key, value), seen)
        self._tally(GroupCallPath, (event.call_path_hash,), seen)
        event.payload = ""  # the chunk's payloads are not kept past this

    def _tally(self, model, key: tuple, seen: dt.datetime) -> None:
        row = self.rows[model].get(key)
        if row is None:
            self.rows[model][key] = [1, seen, seen]
        else:
            row[0] += 1
            row[1], row[2] = min(row[1], seen), max(row[2], seen)

    def move_counts(self, source: ErrorGroup, target: ErrorGroup) -> None:
        """Takes the moved events' breakdown counts from the source's rows and gives them to the target."""
        for model, keys in BREAKDOWNS.items():
            tallies = self.rows.get(model, {})
            if not tallies:
                continue
            frames = {}
            if model is GroupCallPath:
                frames = dict(GroupCallPath.objects.filter(group=source, path_hash__in=[k[0] for k in tallies]).values_list("path_hash", "frames"))
            rows = [
                {"group": target.id, **dict(zip(keys, key, strict=True)), "count": n, "first_seen": first, "last_seen": last,
                 **({"frames": frames.get(key[0], [])} if model is GroupCallPath else {})}
                for key, (n, first, last) in tallies.items()
            ]
            bulk.increment(model, ["group", *keys], rows, insert_only=["frames"] if model is GroupCallPath else ())
            _subtract(model, source.id, keys, {key: n for key, (n, _, _) in tallies.items()})

    def move_cold_minutes(self, source: int, target: int, hot: int) -> None:
        """The minutes before the hot ones are the database's alone: moved here, in the transaction."""
        cold = {m: n for m, n in self.minutes.items() if m < hot}
        if not cold:
            return
        rows = [{"group": target, "minute": dt.datetime.fromtimestamp(m, tz=dt.UTC), "count": n} for m, n in cold.items()]
        bulk.increment(GroupMinuteCount, ["group", "minute"], rows, seen_fields=None)
        _subtract(GroupMinuteCount, source, ["minute"], {(dt.datetime.fromtimestamp(m, tz=dt.UTC),): n for m, n in cold.items()})


def _subtract(model, group_id: int, keys: list[str], amounts: dict[tuple, int]) -> None:
    """count = count - n on the group's rows (never below 0); rows left at 0 are deleted."""
    columns = [model._meta.get_field(k).column for k in keys]
    table = connection.ops.quote_name(model._meta.db_table)
    where = " AND ".join(f"{connection.ops.quote_name(c)} = %s" for c in columns)
    group_column = connection.ops.quote_name(model._meta.get_field("group").column)
    count = connection.ops.quote_name("count")
    sql = f"UPDATE {table} SET {count} = CASE WHEN {count} > %s THEN {count} - %s ELSE 0 END WHERE {group_column} = %s AND {where}"
    fields = [model._meta.get_field(k) for k in keys]
    params = [[n, n, group_id, *(f.get_db_prep_save(v, connection) for f, v in zip(fields, key, strict=True))] for key, n in amounts.items()]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
    model.objects.filter(group_id=group_id, count=0).delete()


def _new_group(source: ErrorGroup, chosen: set[str], extra: dict, split: _Split) -> ErrorGroup:
    """The group the chosen fingerprints go to. Its own fingerprint: the source's own if chosen
    (the source then takes one of its remaining ones), else the chosen one with the most events."""
    counts = _events_per_fingerprint(ErrorEvent.objects.filter(group=source))
    if source.fingerprint in chosen:
        own = source.fingerprint
        keeper = extra[max((f for f in extra if f not in chosen), key=lambda f: (counts[f], f))]
        source.fingerprint, source.algorithm = keeper.fingerprint, keeper.algorithm
        keeper.delete()
        source.save(update_fields=["fingerprint", "algorithm"])
    else:
        own = max(chosen, key=lambda f: (counts[f], f))
        extra[own].delete()
    first, last = split.first, split.last
    fingerprinted = split.fingerprinted
    target = ErrorGroup.objects.create(
        project_id=source.project_id, fingerprint=own,
        algorithm=fingerprinted.algorithm if fingerprinted else source.algorithm,
        components=[{"name": c.name, "value": c.value, "contributes": c.contributes, "hint": c.hint} for c in fingerprinted.components] if fingerprinted else [],
        title=(first.title if first else source.title)[:255],
        culprit=(fingerprinted.culprit if fingerprinted else source.culprit)[:255],
        level=split.level if first else source.level,
        status=source.status, substatus=source.substatus, resolved_at=source.resolved_at,
        resolved_in_release=source.resolved_in_release, ignore_until=source.ignore_until,
        first_seen=first.received_at if first else source.first_seen, last_seen=last.received_at if last else source.last_seen,
        first_release_id=first.release_id if first else None, last_release_id=last.release_id if last else None,
        event_count=split.count,
    )
    GroupFingerprint.objects.filter(group=source, fingerprint__in=chosen).update(group=target)
    return target


def _after_split(source: ErrorGroup, target: ErrorGroup, split: _Split, chosen: set[str], actor, now: dt.datetime) -> None:
    source.event_count = max(0, source.event_count - split.count)
    latest = ErrorEvent.objects.filter(group=source).aggregate(latest=Max("received_at"))["latest"]
    if latest is not None:
        source.last_seen = latest
    source.save(update_fields=["event_count", "last_seen"])
    short = sorted(f[:12] for f in chosen)
    GroupActivity.objects.bulk_create([
        GroupActivity(group=source, actor=actor, kind=GroupActivityKind.UNMERGED, created_at=now,
                      data={"into": target.id, "fingerprints": short, "events": split.count}),
        GroupActivity(group=target, actor=actor, kind=GroupActivityKind.UNMERGED, created_at=now,
                      data={"out_of": source.id, "fingerprints": short, "events": split.count}),
    ])
