"""Digest: a batch of stream messages → events, groups and counts in one transaction.

The steps, in order: prepare (parse and fingerprint, no I/O), apply what the batch's projects
have learned about grouping, then inside one transaction upsert releases, lock groups, drop
duplicates, insert events, fold them into their groups and record the breakdowns. Then, after
the commit, `acknowledge` acknowledges and counts the messages (see triage.stream.consumer for
the loop, triage.stream.wiring for the order).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, replace
from functools import lru_cache

from django.conf import settings
from django.db import transaction

from triage import alerts, bulk, event_partitions, jsonutil
from triage.attribution import assignment
from triage.digest.normalize import EventFields, clean, clean_json, clean_payload, event_fields
from triage.fingerprint import (
    ALGORITHMS,
    Fingerprint,
    FingerprintRule,
    fingerprint_event,
    learn_raise_helpers,
    parse_fingerprint_rules,
    parse_rules,
    with_raise_helpers,
)
from triage.grouping import counters
from triage.grouping import groups as grouping
from triage.grouping.counters import Counted
from triage.models import (
    ErrorEvent,
    ErrorGroup,
    EventId,
    GroupActivity,
    GroupActivityKind,
    GroupCallPath,
    GroupEnvironment,
    GroupFlag,
    GroupRelease,
    GroupTagValue,
    ProjectFlag,
    RaiseHelperCall,
    Release,
)
from triage.stream import IngestMessage, UndeliverableMessage, message_ref


@dataclass(frozen=True)
class Prepared:
    message_id: bytes
    message: IngestMessage
    fields: EventFields
    fingerprint: Fingerprint
    received_at: dt.datetime
    rules: tuple[str, ...] = ()
    previous: Fingerprint | None = None  # the previous algorithm's, during the project's transition
    partition: int = 0  # of the stream it came from (triage.stream.tag)

    @property
    def stream_ref(self) -> str:
        """Its message id as the event stores it (triage.stream.message_ref)."""
        return message_ref(self.message_id, self.partition)

    @property
    def key(self) -> tuple[int, str]:
        return self.message.project_id, self.message.event_id


@lru_cache(maxsize=256)
def _rules(text: str) -> tuple[str, ...]:
    try:
        return tuple(parse_rules(text))
    except ValueError:
        return ()  # a project saved with a bad rule still groups, by the default algorithm


@lru_cache(maxsize=256)
def _fingerprint_rules(text: str) -> tuple[FingerprintRule, ...]:
    try:
        return tuple(parse_fingerprint_rules(text))
    except ValueError:
        return ()  # checked when saved (triage.grouping.rule_changes); grouping never fails on it


def prepare(message_id: bytes, message: IngestMessage, rules_text: str, fingerprint_rules_text: str = "") -> Prepared:
    """Parses and fingerprints one message, with the project's stack rules and fingerprint rules
    (their texts). Raises UndeliverableMessage for a non-event payload."""
    try:
        event = jsonutil.loads(message.payload)
    except (ValueError, UnicodeDecodeError):
        raise UndeliverableMessage("payload is not valid JSON") from None
    if not isinstance(event, dict):
        raise UndeliverableMessage("payload is not a JSON object")
    received_at = dt.datetime.fromtimestamp(message.received_at, tz=dt.UTC)
    rules = _rules(rules_text)
    fingerprint = fingerprint_event(event, rules, fingerprint_rules=_fingerprint_rules(fingerprint_rules_text))
    return Prepared(message_id, message, event_fields(event, received_at), fingerprint, received_at, rules)


def digest_events(batch: list[Prepared], now: dt.datetime) -> list[Counted]:
    """Writes a batch of prepared events; returns what to count and acknowledge, one per message.

    Idempotent per (project, event_id): a redelivered message (same stream id) is counted by the
    caller's acknowledgement if it was not acknowledged before; a re-sent event (another stream id,
    same event_id) is acknowledged without being counted again.
    """
    batch, observed = apply_grouping_knowledge(batch, now)
    event_partitions.ensure_for({p.received_at for p in batch})
    with transaction.atomic():
        record_raise_helper_calls(observed)
        releases = upsert_releases(batch)
        groups = grouping.lock_groups([_seed(p, releases) for p in _first_per_fingerprint(batch)])
        made = {g.id for g in groups.values() if g.event_count == 0}  # see alert_after_commit
        stored = stored_events(batch)
        new = first_of_each_event(p for p in batch if p.key not in stored)
        remember_event_ids(new)  # first: a concurrent copy of an event fails here, before any other write
        insert_events(new, groups, releases)
        changed, activity = grouping.fold_events(list(groups.values()), [_hit(p, groups, releases) for p in new], now)
        bulk.update_rows(ErrorGroup, [grouping.row_of(g) for g in changed], grouping.GROUP_UPDATE_FIELDS)
        if activity:
            GroupActivity.objects.bulk_create(activity)
        record_breakdowns(new, groups, releases)
        alert_after_commit([g for g in changed if g.id in made], activity, now)
    inserted = {p.message_id for p in new}
    return [_counted(p, groups, stored, inserted) for p in batch]


# (project, frame, caller, md5 of the parameterised message) → when it was seen.
Observations = dict[tuple[int, str, str, str], dt.datetime]
# Enough to tell a raise-helper (a few callers, each its own messages) and to keep the rows a
# batch reads back small when a frame's messages carry words no parameterising catches.
MAX_CALLS_PER_FRAME = 100


def apply_grouping_knowledge(batch: list[Prepared], now: dt.datetime) -> tuple[list[Prepared], Observations]:
    """What the batch's projects have learned, applied before grouping, in two queries at most.

    An event whose crash site is a known raise-helper takes its caller-decides fingerprint
    (triage.fingerprint.raise_helpers); what the batch observes counts at once. During a project's
    transition an event also carries the previous algorithm's fingerprint (triage.grouping.groups),
    unless a raise-helper decided it: that split is wanted, old groups or not. Returns the batch
    and its new raise-helper observations.
    """
    observed = _raise_helper_observations(batch)
    known, stored = _known_raise_helpers(observed)
    previous = grouping.previous_algorithms({p.message.project_id for p in batch}, now)
    result = []
    for p in batch:
        fingerprint = with_raise_helpers(p.fingerprint, known.get(p.message.project_id, ()))
        algorithm = previous.get(p.message.project_id)
        old = None
        # A fingerprint rule's grouping is wanted as written: no old group may claim its events.
        if algorithm in ALGORITHMS and fingerprint is p.fingerprint and not fingerprint.rule:
            old = ALGORITHMS[algorithm](jsonutil.loads(p.message.payload), p.rules)
        result.append(replace(p, fingerprint=fingerprint, previous=old))
    per_frame = Counter((project_id, frame) for project_id, frame, _, _ in stored)
    new = {k: seen for k, seen in observed.items() if k not in stored and per_frame[k[:2]] < MAX_CALLS_PER_FRAME}
    return result, new


def _raise_helper_observations(batch: list[Prepared]) -> Observations:
    """One observation per project, frame and caller per batch: its message is parameterised
    here, and doing that for every event would cost as much as fingerprinting it again."""
    observed: Observations = {}
    sampled = set()
    for p in batch:
        helper = p.fingerprint.raise_helper
        if helper is None or max(len(helper.frame), len(helper.caller)) > 255:
            continue
        sample = (p.message.project_id, helper.frame, helper.caller)
        if sample not in sampled:
            sampled.add(sample)
            message = hashlib.md5(helper.message.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()
            observed.setdefault((*sample, message), p.received_at)
    return observed


def _known_raise_helpers(observed: Observations) -> tuple[dict[int, frozenset[str]], set]:
    """Project → its raise-helpers among the observed frames, and the observations already stored."""
    if not observed:
        return {}, set()
    rows = RaiseHelperCall.objects.filter(
        project_id__in={key[0] for key in observed}, frame__in={key[1] for key in observed}
    ).values_list("project_id", "frame", "caller", "message")
    stored = set(rows)
    calls = defaultdict(list)
    for project_id, *call in [*stored, *observed]:
        calls[project_id].append(call)
    return {project_id: learn_raise_helpers(seen) for project_id, seen in calls.items()}, stored


def record_raise_helper_calls(observed: Observations) -> None:
    rows = [
        {"project": project_id, "frame": frame, "caller": caller, "message": message, "first_seen": seen}
        for (project_id, frame, caller, message), seen in observed.items()
    ]
    keys = ["project", "frame", "caller", "message"]
    bulk.increment(RaiseHelperCall, keys, rows, count_field=None, seen_fields=None, insert_only=["first_seen"])


def alert_after_commit(made: list[ErrorGroup], activity: list[GroupActivity], now: dt.datetime) -> None:
    """Queues the new_group and regression alerts of the batch for after its commit (triage.alerts),
    from what the digest holds: no query here, none at all for a batch with neither. A group locked
    with no events yet was made by this transaction (a concurrent batch that made it first has
    committed its events with it), so a group is announced once."""
    regressed = [a.group for a in activity if a.kind == GroupActivityKind.REGRESSED]
    if made or regressed:
        # robust: the batch is committed whatever happens to its alerts (Django logs the error).
        # A named function, not a partial: Django 5.2 names a robust hook that failed by its
        # __qualname__, which a partial lacks, and the AttributeError escapes the commit.
        def notify_alerts():
            alerts.notify_digested(made, regressed, now)

        transaction.on_commit(notify_alerts, robust=True)


def acknowledge(redis, stream_name: str, counted: list[Counted]) -> None:
    """After digest_events has committed: acknowledge and count the messages in one script
    (exactly once: see triage.grouping.counters), then refresh the users affected of the groups
    whose events named a user. A crash before this leaves the messages pending for redelivery."""
    counters.count_and_ack(redis, stream_name, counted, settings.SWITCHYARD["HOT_COUNT_TTL_SECONDS"])
    update_users_affected(redis, {c.group_id for c in counted if c.group_id and c.user_key})
    assignment.queue_suggestions(counted)  # new groups' responsible developer, in a task


def update_users_affected(redis, group_ids: set[int]) -> None:
    if not group_ids:
        return
    affected = counters.users_affected(redis, group_ids)
    with transaction.atomic():
        # Locked in id order first, as lock_groups locks them: an UPDATE … FROM (VALUES …) locks rows
        # in its plan's order, which deadlocked against another consumer's batch of the same groups
        # (a hot project spread over partitions, bench/pipeline_bench.py --partitions 4).
        list(ErrorGroup.objects.filter(id__in=affected).order_by("id").select_for_update().values_list("id", flat=True))
        bulk.update_rows(ErrorGroup, [{"id": gid, "users_affected": n} for gid, n in sorted(affected.items())],
                         ["users_affected"])


def _counted(p: Prepared, groups, stored, inserted) -> Counted:
    group_id = groups[(p.message.project_id, p.fingerprint.hash)].id
    if p.message_id in inserted:
        return Counted(p.message_id, group_id, p.received_at, p.fields.user_key, p.message.project_id)
    earlier = stored.get(p.key)
    if earlier and earlier[1] == p.stream_ref:
        return Counted(p.message_id, earlier[0], p.received_at, p.fields.user_key, p.message.project_id)  # redelivery
    return Counted(p.message_id, 0, p.received_at, "")  # a re-sent duplicate: acknowledge only


def _first_per_fingerprint(batch: list[Prepared]) -> list[Prepared]:
    """A group is seeded from its first event; building seeds for the rest cost 12 % of a batch."""
    first: dict[tuple[int, str], Prepared] = {}
    for p in batch:
        first.setdefault((p.message.project_id, p.fingerprint.hash), p)
    return list(first.values())


def first_of_each_event(prepared) -> list[Prepared]:
    seen, result = set(), []
    for p in prepared:
        if p.key not in seen:
            seen.add(p.key)
            result.append(p)
    return result


def upsert_releases(batch: list[Prepared]) -> dict[tuple[int, str], int]:
    spans: dict[tuple[int, str], list[dt.datetime]] = {}
    for p in batch:
        if p.fields.release:
            spans.setdefault((p.message.project_id, p.fields.release), []).append(p.received_at)
    rows = [{"project": pid, "version": v, "first_seen": min(t), "last_seen": max(t)} for (pid, v), t in spans.items()]
    bulk.increment(Release, ["project", "version"], rows, count_field=None)
    if not rows:
        return {}
    found = Release.objects.filter(project_id__in={r["project"] for r in rows}, version__in={r["version"] for r in rows})
    return {(r.project_id, r.version): r.id for r in found}


def stored_events(batch: list[Prepared]) -> dict[tuple[int, str], tuple[int, str]]:
    """(project, event_id) → (group id, stream id) of events stored before, as EventId knows
    them (the event table has no unique key to ask: it is partitioned). The group is read from
    the event, in its own partition, only for a redelivery, the one case that counts it; 0 when
    retention has removed the event since."""
    keys = EventId.objects.filter(
        project_id__in={p.message.project_id for p in batch}, event_id__in={p.message.event_id for p in batch}
    ).values_list("project_id", "event_id", "stream_id", "received_at")
    seen = {(pid, eid): (sid, received) for pid, eid, sid, received in keys}
    redelivered = [p for p in batch if p.key in seen and seen[p.key][0] == p.stream_ref]
    groups = {}
    if redelivered:
        rows = ErrorEvent.objects.filter(
            project_id__in={p.message.project_id for p in redelivered}, event_id__in={p.message.event_id for p in redelivered},
            received_at__in={seen[p.key][1] for p in redelivered},
        ).values_list("project_id", "event_id", "group_id")
        groups = {(pid, eid): gid for pid, eid, gid in rows}
    return {key: (groups.get(key, 0), sid) for key, (sid, _) in seen.items()}


def remember_event_ids(new: list[Prepared]) -> None:
    """Records the ids of the events about to be stored. A plain INSERT: a copy of one of them
    committed by another worker since stored_events read is a unique violation that rolls the
    batch back, to be redelivered and find it (the group lock makes that rare: a copy has the
    same fingerprint, so the same group, so the two batches take turns)."""
    bulk.insert_rows(
        EventId,
        [{"project": p.message.project_id, "event_id": p.message.event_id, "stream_id": p.stream_ref,
          "received_at": p.received_at} for p in new],
        ["project", "event_id", "stream_id", "received_at"],
    )


EVENT_FIELDS = [
    "project", "group", "event_id", "stream_id", "timestamp", "received_at", "release", "environment",
    "level", "title", "user_key", "trace_id", "flags", "call_path_hash", "fingerprint", "payload",
]


def insert_events(new: list[Prepared], groups, releases) -> None:
    bulk.insert_rows(
        ErrorEvent,
        [
            {
                "project": p.message.project_id,
                "group": groups[(p.message.project_id, p.fingerprint.hash)].id,
                "event_id": p.message.event_id,
                "stream_id": p.stream_ref,
                "timestamp": p.fields.timestamp,
                "received_at": p.received_at,
                "release": releases.get((p.message.project_id, p.fields.release)),
                "environment": p.fields.environment,
                "level": p.fields.level,
                "title": clean(p.fingerprint.title[:255]),
                "user_key": p.fields.user_key,
                "trace_id": p.fields.trace_id,
                "flags": p.fields.flags,
                "call_path_hash": p.fingerprint.call_path_hash[:32],
                "fingerprint": p.fingerprint.hash,
                "payload": clean_payload(p.message.payload),
            }
            for p in new
        ],
        EVENT_FIELDS,
    )


def record_breakdowns(new: list[Prepared], groups, releases) -> None:
    """Counts per group × release, environment, flag, tag value and call path, and the project's
    flag baseline."""

    def group_id(p: Prepared) -> int:
        return groups[(p.message.project_id, p.fingerprint.hash)].id

    def release_id(p: Prepared) -> int:
        return releases[(p.message.project_id, p.fields.release)]

    _increment(GroupRelease, ["group", "release"], (((group_id(p), release_id(p)), p) for p in new if p.fields.release))
    _increment(GroupEnvironment, ["group", "environment"], (((group_id(p), p.fields.environment), p) for p in new))
    _increment(GroupFlag, ["group", "key", "value"], (((group_id(p), k, v), p) for p in new for k, v in p.fields.flags.items()))
    _increment(ProjectFlag, ["project", "key", "value"], (((p.message.project_id, k, v), p) for p in new for k, v in p.fields.flags.items()))
    _increment(GroupTagValue, ["group", "key", "value"], (((group_id(p), k, v), p) for p in new for k, v in p.fields.tags))
    frames = {(group_id(p), p.fingerprint.call_path_hash[:32]): clean_json(p.fingerprint.call_path) for p in new}
    _increment(GroupCallPath, ["group", "path_hash"], ((key, p) for p in new for key in [(group_id(p), p.fingerprint.call_path_hash[:32])]), extra=lambda key: {"frames": frames[key]})


def _increment(model, key_fields, keyed, extra=None) -> None:
    counts: Counter = Counter()
    spans: dict[tuple, list[dt.datetime]] = {}
    for key, p in keyed:
        counts[key] += 1
        span = spans.setdefault(key, [p.received_at, p.received_at])
        span[0], span[1] = min(span[0], p.received_at), max(span[1], p.received_at)
    rows = []
    for key, count in counts.items():
        row = dict(zip(key_fields, key, strict=True), count=count, first_seen=spans[key][0], last_seen=spans[key][1])
        rows.append({**row, **(extra(key) if extra else {})})
    bulk.increment(model, key_fields, rows, insert_only=["frames"] if extra else ())


def _seed(p: Prepared, releases) -> grouping.GroupSeed:
    fp = p.fingerprint
    return grouping.GroupSeed(
        project_id=p.message.project_id,
        fingerprint=fp.hash,
        algorithm=fp.algorithm,
        components=clean_json([asdict(c) for c in fp.components]),
        title=clean(fp.title),
        culprit=clean(fp.culprit),
        level=p.fields.level,
        seen=p.received_at,
        release_id=releases.get((p.message.project_id, p.fields.release)),
        previous=(p.previous.hash,) if p.previous is not None and p.previous.hash != fp.hash else (),
        also=(fp.raise_helper.fingerprint.hash,) if fp.raise_helper is not None else (),
    )


def _hit(p: Prepared, groups, releases) -> grouping.GroupHit:
    return grouping.GroupHit(
        group_id=groups[(p.message.project_id, p.fingerprint.hash)].id,
        seen=p.received_at,
        level=p.fields.level,
        release_id=releases.get((p.message.project_id, p.fields.release)),
    )
