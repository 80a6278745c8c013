"""Digest for the release-health stream: `session` and `sessions` items → per-minute counts.

The protocol (https://develop.sentry.dev/sdk/telemetry/sessions/): a `session` item is the whole
state of one session (`sid`, `did`, `started`, `status`, `errors`, `attrs.release`); an SDK may
send several for one session, each replacing the last, and the first is marked `init`. A
`sessions` item aggregates sessions that ended, per started minute: `exited`, `errored`,
`crashed`, `abnormal` counts (sentry-sdk sends these for web requests, one per minute and
release). Both land in ReleaseHealthMinute, bucketed by release, environment and started minute,
as healthy (the rest), errored, abnormal or crashed; users (a hashed `did`) in SessionUser.

Counted once, whatever happens:

- a redelivered message (a worker died after the commit, before the acknowledgement) finds its
  SessionMessage row and adds nothing: the row is written in the transaction that adds its counts;
- a session's later updates move it between the buckets of its first (TrackedSession), never count
  it again, and never towards a better outcome (a crashed session stays crashed, however late an
  older update arrives);
- two workers racing for one message or one new session: the second insert of the same key
  fails, its batch rolls back and is retried message by message, and finds the first one's rows.

A session older than SESSION_UPDATE_DAYS when it arrives is dropped (the protocol's limit, after
which its tracked state is pruned); a payload that is not release health (no release, not an
object) is undeliverable: the consumer dead-letters it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections import defaultdict
from dataclasses import dataclass, replace

from django.db import transaction

from triage import bulk, jsonutil, stream
from triage.digest.normalize import clean, parse_timestamp
from triage.models import Release, ReleaseHealthMinute, SessionMessage, SessionUser, TrackedSession
from triage.stream import IngestMessage, UndeliverableMessage, faults

SESSION_UPDATE_DAYS = 5
OUTCOMES = ("healthy", "errored", "abnormal", "crashed")  # better to worse
COUNTED = ("errored", "abnormal", "crashed")  # ReleaseHealthMinute's columns besides `sessions`
MAX_COUNT = 1_000_000  # one aggregate's count; more is not a real minute of one process


@dataclass(frozen=True)
class Where:
    """The bucket a session counts in."""

    release: str
    environment: str
    minute: dt.datetime


@dataclass(frozen=True)
class SessionUpdate:
    """One `session` item: the session's state so far."""

    where: Where
    sid: str  # empty when the SDK sent none (allowed for a session that starts exited)
    distinct_id: str  # hashed; empty when none
    outcome: str


@dataclass(frozen=True)
class Aggregate:
    """One entry of a `sessions` item: sessions that started in one minute, by outcome."""

    where: Where
    distinct_id: str
    counts: dict[str, int]  # outcome → sessions


@dataclass(frozen=True)
class PreparedSessions:
    message_id: bytes
    key: str
    project_id: int
    received_at: dt.datetime
    updates: tuple[SessionUpdate, ...] = ()
    aggregates: tuple[Aggregate, ...] = ()
    payload_bytes: int = 0  # taken off the stream's byte count when acknowledged


def prepare_sessions(message_id: bytes, message: IngestMessage) -> PreparedSessions:
    """Parses one item. Raises UndeliverableMessage for a payload that is not release health."""
    try:
        payload = jsonutil.loads(message.payload)
    except (ValueError, UnicodeDecodeError):
        raise UndeliverableMessage("session payload is not valid JSON") from None
    if not isinstance(payload, dict):
        raise UndeliverableMessage("session payload is not a JSON object")
    attrs = payload.get("attrs") if isinstance(payload.get("attrs"), dict) else {}
    release = clean(str(attrs.get("release") or "")[:200])
    if not release:
        raise UndeliverableMessage("session without attrs.release (the protocol requires one)")
    environment = clean(str(attrs.get("environment") or "")[:64]) or "production"  # as for events
    received = dt.datetime.fromtimestamp(message.received_at, tz=dt.UTC)
    prepared = PreparedSessions(message_id, message.event_id, message.project_id, received,
                                payload_bytes=len(message.payload))
    if isinstance(payload.get("aggregates"), list):  # a `sessions` item
        aggregates = (_aggregate(entry, release, environment, received) for entry in payload["aggregates"])
        return replace(prepared, aggregates=tuple(a for a in aggregates if a))
    update = _update(payload, release, environment, received)
    return replace(prepared, updates=(update,) if update else ())


def _update(item: dict, release: str, environment: str, received: dt.datetime) -> SessionUpdate | None:
    minute = _minute(item.get("started"), received)
    if minute is None:
        return None
    status = item.get("status")
    errors = item.get("errors")
    if status == "crashed":
        outcome = "crashed"
    elif status == "abnormal":
        outcome = "abnormal"
    elif isinstance(errors, int) and not isinstance(errors, bool) and errors > 0:
        outcome = "errored"
    else:
        outcome = "healthy"
    sid = clean(str(item.get("sid") or "")[:64])
    return SessionUpdate(Where(release, environment, minute), sid, _distinct_id(item.get("did")), outcome)


def _aggregate(entry, release: str, environment: str, received: dt.datetime) -> Aggregate | None:
    if not isinstance(entry, dict):
        return None
    minute = _minute(entry.get("started"), received)
    if minute is None:
        return None
    counts = {"healthy": _count(entry.get("exited")), **{name: _count(entry.get(name)) for name in COUNTED}}
    if not any(counts.values()):
        return None
    return Aggregate(Where(release, environment, minute), _distinct_id(entry.get("did")), counts)


def _minute(started, received: dt.datetime) -> dt.datetime | None:
    """The started minute; a start in the future is taken as now, one past the update window drops."""
    moment = min(parse_timestamp(started, received), received)
    if received - moment > dt.timedelta(days=SESSION_UPDATE_DAYS):
        return None
    return moment.replace(second=0, microsecond=0)


def _count(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        return 0
    return max(0, min(value, MAX_COUNT))


def _distinct_id(value) -> str:
    """The did hashed, as Sentry stores it: counted, never shown."""
    if value is None or value == "" or isinstance(value, dict | list):
        return ""
    return hashlib.blake2b(str(value).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


# --- Writing ----------------------------------------------------------------------------------


def write_sessions(redis, stream_name: str, batch: list[PreparedSessions]) -> None:
    """Digests the batch in one transaction, then acknowledges it: a crash in between redelivers
    the batch, and the messages' SessionMessage rows keep it from counting twice."""
    digest_sessions(batch, dt.datetime.now(tz=dt.UTC))
    faults.point("after-commit")  # where the crash tests kill a worker, as for events
    stream.acknowledge(redis, stream_name, [p.message_id for p in batch], time.time(),
                       payload_bytes=sum(p.payload_bytes for p in batch))


def digest_sessions(batch: list[PreparedSessions], now: dt.datetime) -> int:
    """Adds the counts of the batch's messages not applied before; returns how many it applied."""
    with transaction.atomic():
        fresh = _unapplied(batch)
        if not fresh:
            return 0
        SessionMessage.objects.bulk_create([SessionMessage(key=p.key, applied_at=now) for p in fresh])
        releases = _upsert_releases(fresh)
        tally = Tally(releases)
        tracked = _locked_sessions(fresh)
        new_sessions, changed_sessions = [], []
        for p in fresh:
            for update in p.updates:
                _apply_update(tally, tracked, p.project_id, update, now, new_sessions, changed_sessions)
            for aggregate in p.aggregates:
                where = aggregate.where
                bucket = Bucket(p.project_id, releases[(p.project_id, where.release)], where.environment, where.minute)
                tally.add(bucket, aggregate.counts, aggregate.distinct_id)
        TrackedSession.objects.bulk_create(new_sessions)
        bulk.update_rows(TrackedSession, [_row(t) for t in changed_sessions if t.pk], ["outcome", "distinct_id", "updated_at"])
        tally.write()
    return len(fresh)


def _unapplied(batch: list[PreparedSessions]) -> list[PreparedSessions]:
    applied = set(SessionMessage.objects.filter(key__in=[p.key for p in batch]).values_list("key", flat=True))
    fresh: dict[str, PreparedSessions] = {}
    for p in batch:
        if p.key not in applied:
            fresh.setdefault(p.key, p)  # the same message twice in a batch counts once
    return list(fresh.values())


def _upsert_releases(batch: list[PreparedSessions]) -> dict[tuple[int, str], int]:
    """Sessions make their release known too: a release without an error is the best kind."""
    spans: dict[tuple[int, str], list[dt.datetime]] = defaultdict(list)
    for p in batch:
        for item in (*p.updates, *p.aggregates):
            spans[(p.project_id, item.where.release)].append(p.received_at)
    rows = [{"project": pid, "version": v, "first_seen": min(t), "last_seen": max(t)} for (pid, v), t in sorted(spans.items())]
    bulk.increment(Release, ["project", "version"], rows, count_field=None)
    if not rows:
        return {}
    found = Release.objects.filter(project_id__in={r["project"] for r in rows}, version__in={r["version"] for r in rows})
    return {(r.project_id, r.version): r.id for r in found}


def _locked_sessions(batch: list[PreparedSessions]) -> dict[tuple[int, str], TrackedSession]:
    """The batch's sessions already tracked, locked (in id order: two workers never deadlock)."""
    pairs = {(p.project_id, u.sid) for p in batch for u in p.updates if u.sid}
    if not pairs:
        return {}
    rows = TrackedSession.objects.select_for_update().filter(
        project_id__in={p for p, _ in pairs}, sid__in={s for _, s in pairs}
    ).order_by("id")
    return {(t.project_id, t.sid): t for t in rows if (t.project_id, t.sid) in pairs}


def _apply_update(tally: Tally, tracked: dict, project_id: int, update: SessionUpdate, now: dt.datetime,
                  new_sessions: list, changed_sessions: list) -> None:
    release_id = tally.releases[(project_id, update.where.release)]
    bucket = Bucket(project_id, release_id, update.where.environment, update.where.minute)
    if not update.sid:  # nothing to tell its updates apart by: one whole session
        tally.add(bucket, {update.outcome: 1}, update.distinct_id)
        return
    known = tracked.get((project_id, update.sid))
    if known is None:
        known = TrackedSession(
            project_id=project_id, sid=update.sid, release_id=release_id, environment=bucket.environment,
            minute=bucket.minute, distinct_id=update.distinct_id, outcome=update.outcome, updated_at=now,
        )
        tracked[(project_id, update.sid)] = known
        new_sessions.append(known)
        tally.add(bucket, {update.outcome: 1}, update.distinct_id)
        return
    # Its first update's release, environment and minute: the protocol forbids changing them,
    # and its counts are already in that bucket.
    bucket = Bucket(project_id, known.release_id, known.environment, known.minute)
    worse = max(known.outcome, update.outcome, key=OUTCOMES.index)
    did = known.distinct_id or update.distinct_id
    if worse != known.outcome:
        tally.move(bucket, known.outcome, worse)
    if did and (worse, did) != (known.outcome, known.distinct_id):
        tally.user(bucket, did, worse == "crashed")
    if (worse, did) != (known.outcome, known.distinct_id):
        known.outcome, known.distinct_id, known.updated_at = worse, did, now
        if known not in changed_sessions:
            changed_sessions.append(known)


def _row(session: TrackedSession) -> dict:
    return {"id": session.pk, "outcome": session.outcome, "distinct_id": session.distinct_id, "updated_at": session.updated_at}


@dataclass(frozen=True, order=True)
class Bucket:
    """A ReleaseHealthMinute row's key (its project too, for the insert)."""

    project_id: int
    release_id: int
    environment: str
    minute: dt.datetime


class Tally:
    """The batch's additions to ReleaseHealthMinute and SessionUser, merged per row."""

    def __init__(self, releases: dict[tuple[int, str], int]):
        self.releases = releases
        self.buckets: dict[Bucket, dict[str, int]] = {}
        self.users: dict[tuple[int, str, dt.date, str], bool] = {}

    def _counts(self, bucket: Bucket) -> dict[str, int]:
        return self.buckets.setdefault(bucket, {"sessions": 0, **dict.fromkeys(COUNTED, 0)})

    def add(self, bucket: Bucket, outcomes: dict[str, int], distinct_id: str) -> None:
        counts = self._counts(bucket)
        for outcome, n in outcomes.items():
            counts["sessions"] += n
            if outcome != "healthy":
                counts[outcome] += n
        if distinct_id:
            self.user(bucket, distinct_id, outcomes.get("crashed", 0) > 0)

    def move(self, bucket: Bucket, before: str, after: str) -> None:
        """One session of the bucket turned out worse than counted."""
        counts = self._counts(bucket)
        if before != "healthy":
            counts[before] -= 1
        counts[after] += 1

    def user(self, bucket: Bucket, distinct_id: str, crashed: bool) -> None:
        key = (bucket.release_id, bucket.environment, bucket.minute.date(), distinct_id)
        self.users[key] = self.users.get(key, False) or crashed

    def write(self) -> None:
        """Sorted by key, so concurrent batches take the rows' locks in the same order."""
        buckets = [
            {"project": b.project_id, "release": b.release_id, "environment": b.environment, "minute": b.minute, **counts}
            for b, counts in sorted(self.buckets.items())
        ]
        bulk.add_counts(ReleaseHealthMinute, ["release", "environment", "minute"], ["sessions", *COUNTED], buckets,
                        insert_only=["project"])
        users = [
            {"release": rid, "environment": env, "day": day, "distinct_id": did, "crashed": crashed}
            for (rid, env, day, did), crashed in sorted(self.users.items())
        ]
        bulk.set_any(SessionUser, ["release", "environment", "day", "distinct_id"], ["crashed"], users)
