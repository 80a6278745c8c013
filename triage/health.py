"""The pipeline's health, read in one Redis round trip: per stream its backlog (not yet delivered),
pending (delivered, not yet acknowledged) and dead letters; how long ago the last digest and the
last roll-up ran; whether a consumer is riding out an outage (triage.stream.outage).

Served without login at /health/ (triage.views.health, 200 "ok" or 503 "degraded", for probes
and monitoring) and summarised in the dashboard footer, so it holds counts, ages and fixed
words only: no hostnames, error texts or payloads.

The timestamps are written where the work happens: the digest's acknowledgement stamps
`digest:<stream>` (triage.grouping.counters, triage.stream.acknowledge), the roll-up task stamps
`roll_up` (record_roll_up), all in the hash triage.stream.HEALTH.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import redis
from django.conf import settings

from triage.stream import (
    GROUP,
    HEALTH,
    STREAMS,
    dead_letter_stream,
    health_key,
    known_partitions,
    partition_streams,
)
from triage.stream.outage import OUTAGES

ROLL_UP_LATE_SECONDS = 120  # beat runs the roll-up every 30 s: four missed runs
STALLED_SECONDS = 120  # messages waiting and nothing digested for this long


@dataclass(frozen=True)
class StreamHealth:
    name: str  # "events", "logs"
    backlog: int
    pending: int
    dead_letters: int
    oldest_age: float | None  # of the oldest message waiting (pending or not delivered); None: none
    last_digest_age: float | None  # None: never digested (or Redis lost the record)


@dataclass(frozen=True)
class Health:
    streams: list[StreamHealth] = field(default_factory=list)
    last_roll_up_age: float | None = None
    outage_age: float | None = None  # since the oldest live outage began; None: no outage
    outage_consumers: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict:
        return {
            "status": "ok" if self.ok else "degraded",
            "problems": self.problems,
            "streams": {
                s.name: {"backlog": s.backlog, "pending": s.pending, "dead_letters": s.dead_letters,
                         "oldest_age_seconds": _round(s.oldest_age), "last_digest_age_seconds": _round(s.last_digest_age)}
                for s in self.streams
            },
            "last_roll_up_age_seconds": _round(self.last_roll_up_age),
            "outage": {"active": self.outage_age is not None, "age_seconds": _round(self.outage_age),
                       "consumers": self.outage_consumers},
        }

    def summary(self) -> str:
        """One line for the dashboard footer."""
        backlog = sum(s.backlog + s.pending for s in self.streams)
        dead = sum(s.dead_letters for s in self.streams)
        state = "ok" if self.ok else "degraded: " + ", ".join(self.problems)
        return f"Pipeline {state} · backlog {backlog:,} · dead letters {dead:,}"


def record_roll_up(client, now: float) -> None:
    client.hset(HEALTH, "roll_up", repr(now))


def current_health(client) -> Health:
    """read_health as of now, with this deployment's settings. A consumer in an outage refreshes
    its record at least every OUTAGE_BACKOFF_MAX_SECONDS; three times that, it is gone."""
    stale = 3 * settings.SWITCHYARD["OUTAGE_BACKOFF_MAX_SECONDS"] + 30
    return read_health(client, time.time(), outage_stale_seconds=stale)


def read_health(client, now: float, outage_stale_seconds: float = 120.0) -> Health:
    """The health as of `now` (epoch seconds). An outage record not refreshed for
    `outage_stale_seconds` was left by a worker that died in it, and is ignored. Never raises
    for Redis: an unreachable Redis is reported as a problem. A partitioned stream is reported
    as one: its partitions' backlogs and dead letters added up, its oldest message the oldest of
    any, its last digest the most recent of any."""
    try:
        partitions = known_partitions(client)
    except redis.RedisError:
        return Health(problems=["redis unreachable"])
    names = [partition_streams(name, partitions) for name in STREAMS]
    pipe = client.pipeline(transaction=False)
    for name in (n for group in names for n in group):
        pipe.xlen(name)
        pipe.xinfo_groups(name)
        pipe.xlen(dead_letter_stream(name))
        # The oldest entry is the oldest waiting: acknowledged ones are deleted. Its id is its
        # time; its payload (one event, ~6 KB) is the price of asking in the same round trip.
        pipe.xrange(name, count=1)
    for p in range(partitions):
        pipe.hgetall(health_key(p))
    pipe.hgetall(OUTAGES)
    try:
        replies = pipe.execute(raise_on_error=False)
    except redis.RedisError:
        return Health(problems=["redis unreachable"])
    if any(isinstance(r, redis.ConnectionError | redis.TimeoutError) for r in replies):
        return Health(problems=["redis unreachable"])
    stamps = {}
    for reply in replies[-1 - partitions:-1]:
        stamps.update({k.decode(): float(v) for k, v in _ok(reply, {}).items()})
    streams, every_part, at = [], [], 0
    for group in names:
        parts = []
        for name in group:
            parts.append(_stream_health(name, *[_ok(r, d) for r, d in zip(replies[at:at + 4], (0, [], 0, []), strict=True)],
                                        stamps.get(f"digest:{name}"), now))
            at += 4
        streams.append(_combined(parts))
        every_part += parts
    outages = [_outage(v) for v in _ok(replies[-1], {}).values()]
    live = [o for o in outages if o and now - o["seen"] <= outage_stale_seconds]
    roll_up_age = now - stamps["roll_up"] if "roll_up" in stamps else None
    return Health(
        streams=streams,
        last_roll_up_age=roll_up_age,
        outage_age=now - min(o["since"] for o in live) if live else None,
        outage_consumers=len(live),
        # a stalled partition is a problem even while its neighbours digest
        problems=list(dict.fromkeys(_problems(every_part, roll_up_age, live))),
    )


def _stream_health(name, length: int, groups: list, dead: int, first: list, digested_at, now: float) -> StreamHealth:
    group = next((g for g in groups if g.get("name") in (GROUP, GROUP.encode())), {})
    pending = int(group.get("pending") or 0)
    # Acknowledged entries are deleted (triage.grouping.counters), so what the stream holds is
    # pending or not yet delivered. Redis 7 counts the latter itself ("lag") when it can.
    lag = group.get("lag")
    backlog = int(lag) if isinstance(lag, int) else max(0, length - pending)
    oldest = now - int(first[0][0].split(b"-")[0]) / 1000 if first and length else None
    return StreamHealth(name.rsplit(":", 1)[-1], backlog, pending, dead, oldest,
                        now - digested_at if digested_at else None)


def _combined(parts: list[StreamHealth]) -> StreamHealth:
    def least(values):
        present = [v for v in values if v is not None]
        return min(present) if present else None

    return StreamHealth(parts[0].name, sum(p.backlog for p in parts), sum(p.pending for p in parts),
                        sum(p.dead_letters for p in parts), max((p.oldest_age for p in parts if p.oldest_age is not None),
                                                               default=None),
                        least(p.last_digest_age for p in parts))


def _problems(streams: list[StreamHealth], roll_up_age: float | None, outages: list[dict]) -> list[str]:
    problems = sorted({f"{o['kind']} unreachable" for o in outages})
    for s in streams:
        # Work has waited long and nothing was digested meanwhile (a busy worker digests a batch
        # every second or so; a message merely queued behind a long backlog is not a stall).
        waited = s.oldest_age is not None and s.oldest_age > STALLED_SECONDS
        if waited and (s.last_digest_age is None or s.last_digest_age > STALLED_SECONDS):
            problems.append(f"{s.name} stalled")
    if roll_up_age is not None and roll_up_age > ROLL_UP_LATE_SECONDS:
        problems.append("roll-up late")
    return problems


def _outage(raw: bytes) -> dict | None:
    try:
        record = json.loads(raw)
        return {"since": float(record["since"]), "seen": float(record["seen"]),
                "kind": "redis" if record.get("kind") == "redis" else "database"}
    except (ValueError, KeyError, TypeError):
        return None


def _ok(reply, default):
    """A pipeline reply, or `default` where Redis answered with an error (no such stream yet)."""
    return default if isinstance(reply, Exception) else reply


def _round(seconds: float | None) -> float | None:
    return None if seconds is None else round(max(seconds, 0.0), 1)
