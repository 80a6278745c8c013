"""Redis streams between ingest and the workers: names, the message, and the delivery rules.

Ingest appends (XADD) behind a length check; workers read in one consumer group (XREADGROUP),
acknowledge only after their database transaction has committed, reclaim messages left on dead
consumers (XAUTOCLAIM), and move a message that failed MAX_DELIVERIES times to a dead-letter
stream with the reason (never trimmed: triage.stream.dead_letters lists, replays and purges it).
An acknowledged entry is deleted in the same step (XACK + XDEL), so the stream's length is its
backlog (pending + undelivered), which is what ingest compares with the cap; a periodic XTRIM
MINID is the safety net.

Every key carries a hash tag so the Lua scripts below, which touch a stream and the counters
together, stay valid on Redis Cluster (all keys of one script in one slot). The events and logs
streams are split into SWITCHYARD_STREAM_PARTITIONS partitions, each with its own hash tag
(`{switchyard}` for partition 0, so one partition keeps today's key names, `{switchyard:p<n>}`
for the others), so that a cluster spreads them over its nodes: a partition's stream, byte count,
delivery errors, health stamps and per-minute counters share its tag. Ingest picks the partition
(triage.edge.partitions); every worker runs a consumer per partition (triage.stream.worker).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

PREFIX = "{switchyard}"
EVENTS = f"{PREFIX}:stream:events"
LOGS = f"{PREFIX}:stream:logs"
SESSIONS = f"{PREFIX}:stream:sessions"  # release health: `session` and `sessions` envelope items
STREAMS = (EVENTS, LOGS, SESSIONS)
# Split over partitions: the error and log streams carry nearly all the volume; sessions stay whole.
PARTITIONED = (EVENTS, LOGS)
GROUP = "digest"
ERRORS = f"{PREFIX}:delivery-errors"  # message id → last failure reason, for the dead letter
HEALTH = f"{PREFIX}:health"  # "digest:<stream>" and "roll_up" → epoch seconds of the last one (triage.health)
# The number of partitions that may hold keys: raised by the workers' and ingest's settings, lowered
# by a worker only once the partitions past its setting hold nothing (register_partitions).
PARTITIONS_KEY = f"{PREFIX}:stream-partitions"
_TAGGED = re.compile(r"^\{switchyard(?::p(\d+))?\}:")


def tag(partition: int) -> str:
    """The hash tag of a partition: partition 0 keeps the tag every key had before partitions."""
    return PREFIX if partition == 0 else f"{{switchyard:p{partition}}}"


def partition_of(key: str) -> int:
    match = _TAGGED.match(key)
    return int(match[1]) if match and match[1] else 0


def in_partition(key: str, partition: int) -> str:
    """The same key (a stream, a counter) in another partition."""
    return tag(partition) + key[_TAGGED.match(key).end() - 1:]


def partition_streams(stream: str, partitions: int) -> list[str]:
    """A partitioned stream's names in partitions 0 … partitions-1 (just itself for sessions)."""
    return [in_partition(stream, p) for p in range(partitions)] if stream in PARTITIONED else [stream]


def message_ref(message_id: bytes | str, partition: int) -> str:
    """A message's id as an event stores it (ErrorEvent.stream_id): the id alone in partition 0,
    as before partitions, `<id>@<partition>` in the others, so an unmerge finds its stream."""
    message_id = message_id.decode() if isinstance(message_id, bytes) else message_id
    return message_id if partition == 0 else f"{message_id}@{partition}"


def parse_message_ref(ref: str) -> tuple[str, int]:
    message_id, _, partition = ref.partition("@")
    return message_id, int(partition or 0)


def base_stream(stream: str) -> str:
    """The partition-0 name of a stream, as the dashboard and the handlers know it."""
    return in_partition(stream, 0)


def is_byte_bounded(stream: str) -> bool:
    """Streams bounded in bytes as well as in length: their messages vary a hundredfold in size."""
    return base_stream(stream) in (LOGS, SESSIONS)


BYTE_BOUNDED = (LOGS, SESSIONS)  # partition 0's names; is_byte_bounded covers every partition


def errors_key(stream: str) -> str:
    """Message id → last failure reason, in the stream's partition (dead_letter's MULTI touches both)."""
    return in_partition(ERRORS, partition_of(stream))


def health_key(stream_or_partition: str | int) -> str:
    """The hash of a partition's digest stamps, in its slot (the count script writes it)."""
    partition = stream_or_partition if isinstance(stream_or_partition, int) else partition_of(stream_or_partition)
    return in_partition(HEALTH, partition)


def configured_partitions() -> int:
    from django.conf import settings

    return settings.SWITCHYARD["STREAM_PARTITIONS"]


def known_partitions(client) -> int:
    """How many partitions readers look at (counters, health, dead letters): the configured number,
    or more while partitions left over from a larger setting still hold anything."""
    raw = client.get(PARTITIONS_KEY)
    return max(configured_partitions(), int(raw) if raw else 1)


async def announce_partitions(client, partitions: int) -> None:
    """From an ingest process, every minute: the partitions it may write, so that a worker on a
    smaller setting looks at them (register_partitions) even if no worker ever ran with this one."""
    await client.eval(RAISE_PARTITIONS_SCRIPT, 1, PARTITIONS_KEY, partitions)


def register_partitions(client, partitions: int) -> int:
    """At a worker's start, and every half minute after: records how many partitions hold keys (the
    configured number, and every higher one, up to what a worker or an ingest process announced,
    whose stream, dead letters or health stamps still exist) and returns it, so the worker consumes
    the leftovers until they are drained (retire_if_drained)."""
    highest = max(partitions, int(client.get(PARTITIONS_KEY) or 1))
    in_use = partitions
    for p in range(partitions, highest):
        keys = [k for s in PARTITIONED for k in (in_partition(s, p), dead_letter_stream(in_partition(s, p)))]
        if any(client.exists(k) for k in [*keys, health_key(p)]):
            in_use = p + 1
    client.set(PARTITIONS_KEY, in_use)
    return in_use


# Raises the number of partitions that may hold keys to ARGV[1], never lowers it.
RAISE_PARTITIONS_SCRIPT = """
if tonumber(redis.call('GET', KEYS[1]) or '1') < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1])
end
return 1
"""


# Deletes a drained stream: nothing waiting, nothing pending. Atomic, so an entry appended by an
# ingest process still on the old setting is either seen here (and the stream kept) or lands after
# the delete (and XADD makes a new stream, which the workers' next look finds: register_partitions).
RETIRE_SCRIPT = """
if redis.call('XLEN', KEYS[1]) > 0 then return 0 end
local ok, pending = pcall(redis.call, 'XPENDING', KEYS[1], ARGV[1])
if ok and tonumber(pending[1]) > 0 then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
return 1
"""


def retire_if_drained(client, stream: str) -> bool:
    """Deletes a partition's stream past the configured number once it is empty; True if it did."""
    return bool(client.eval(RETIRE_SCRIPT, 2, stream, bytes_key(stream), GROUP))
DEAD_LETTER_FIELDS = (b"reason", b"original_id", b"dead_at")  # added to a message when it is dead-lettered


class UndeliverableMessage(Exception):
    """The message can never be digested (unknown project, not an event): a digest raises it,
    and the consumer dead-letters the message at once instead of retrying it."""


def dead_letter_stream(stream: str) -> str:
    return f"{stream}:dead"


@dataclass(frozen=True)
class IngestMessage:
    """One accepted item, as ingest hands it to the workers. Defined once, parsed once."""

    project_id: int
    event_id: str
    received_at: float
    payload: bytes
    version: int = 1

    def to_fields(self) -> dict[str, bytes | str | int | float]:
        return {
            "v": self.version,
            "project": self.project_id,
            "event_id": self.event_id,
            "received": repr(self.received_at),
            "payload": self.payload,
        }

    @classmethod
    def from_fields(cls, fields: dict[bytes, bytes]) -> IngestMessage:
        """Raises KeyError or ValueError on a malformed entry; the caller dead-letters it."""
        return cls(
            project_id=int(fields[b"project"]),
            event_id=fields[b"event_id"].decode(),
            received_at=float(fields[b"received"]),
            payload=fields[b"payload"],
            version=int(fields.get(b"v", b"1")),
        )


# XADD only when the backlog is under the cap: one round trip, and no race between check and
# append. Refusing (→ 429) instead of `MAXLEN ~` trimming means an unprocessed event is never
# silently evicted. Consumers delete what they acknowledge, so the length is the backlog: a
# caught-up worker with a small cap never causes a 429 (it did while processed entries waited
# for the periodic trim, every 10 s).
# The logs and sessions streams are bounded in bytes too (KEYS[2] counts the payload bytes waiting; ARGV[2] is
# the cap, ARGV[3] this payload's size): a log message may be a hundred times an event's size,
# so a count alone would not bound Redis's memory. Acknowledging and dead-lettering subtract.
APPEND_SCRIPT = """
if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[1]) then
  return false
end
if tonumber(redis.call('GET', KEYS[2]) or '0') + tonumber(ARGV[3]) > tonumber(ARGV[2]) then
  return false
end
redis.call('INCRBY', KEYS[2], ARGV[3])
return redis.call('XADD', KEYS[1], '*', unpack(ARGV, 4))
"""


def bytes_key(stream: str) -> str:
    """The count of payload bytes waiting in a stream (kept for the BYTE_BOUNDED ones)."""
    return f"{stream}:bytes"


def append_args(message: IngestMessage, cap: int, byte_cap: int) -> list:
    """The ARGV of APPEND_SCRIPT for one message: the caps and its size, then field/value pairs."""
    args: list = [cap, byte_cap, len(message.payload)]
    for field, value in message.to_fields().items():
        args += [field, value]
    return args


def ensure_group(client, stream: str) -> None:
    import redis

    try:
        client.xgroup_create(stream, GROUP, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def read_new(client, stream: str, consumer: str, count: int, block_ms: int):
    """New messages for this consumer: [(id, fields), …]."""
    reply = client.xreadgroup(GROUP, consumer, {stream: ">"}, count=count, block=block_ms)
    return reply[0][1] if reply else []


def claim_idle(client, stream: str, consumer: str, idle_ms: int, count: int):
    """Messages idle on other (presumably dead) consumers, now owned by this one."""
    reply = client.xautoclaim(stream, GROUP, consumer, min_idle_time=idle_ms, start_id="0-0", count=count)
    return [(mid, fields) for mid, fields in reply[1] if fields is not None]


def delivery_counts(client, stream: str, ids: list[bytes]) -> dict[bytes, int]:
    if not ids:
        return {}
    lo, hi = min(ids, key=_id_key), max(ids, key=_id_key)
    rows = client.xpending_range(stream, GROUP, min=lo, max=hi, count=len(ids) * 4 + 100)
    wanted = set(ids)
    return {row["message_id"]: row["times_delivered"] for row in rows if row["message_id"] in wanted}


def record_failure(client, stream: str, message_id: bytes, reason: str) -> None:
    client.hset(errors_key(stream), message_id, reason[:2000])


def hold(client, stream: str, consumer: str, ids: list[bytes]) -> None:
    """Resets the idle time of messages this consumer holds in memory through an outage, so no
    other consumer reclaims them meanwhile. JUSTID: the delivery count is left as it is."""
    if ids:
        client.xclaim(stream, GROUP, consumer, min_idle_time=0, message_ids=ids, justid=True)


def acknowledge(client, stream: str, ids: list[bytes], now: float, dead_letters: list[dict] = (),
                payload_bytes: int = 0) -> None:
    """Acknowledges and deletes processed messages (the stream's length stays its backlog),
    adds `dead_letters` (entries made by dead_letter_entry), takes their `payload_bytes` off the
    stream's byte count and stamps the stream's last digest for the health endpoint, all in one MULTI."""
    if not ids:
        return
    pipe = client.pipeline(transaction=True)
    if payload_bytes:
        pipe.decrby(bytes_key(stream), payload_bytes)
    for entry in dead_letters:
        pipe.xadd(dead_letter_stream(stream), entry)
    pipe.xack(stream, GROUP, *ids)
    pipe.xdel(stream, *ids)
    pipe.hset(health_key(stream), f"digest:{stream}", repr(now))
    pipe.execute()


def dead_letter_entry(fields: dict, message_id: bytes, reason: str, now: float) -> dict:
    """The dead-letter stream's entry for a message: its own fields, then why, from where, when."""
    entry = {k: v for k, v in fields.items() if k not in DEAD_LETTER_FIELDS}
    entry[b"reason"] = reason[:2000].encode()
    entry[b"original_id"] = message_id
    entry[b"dead_at"] = repr(now).encode()
    return entry


def dead_letter(client, stream: str, message_id: bytes, fields: dict, reason: str) -> None:
    """Moves one message to the dead-letter stream with its reason, then acknowledges it. The
    dead-letter stream has no MAXLEN: a dead letter leaves it only by a replay or a purge."""
    pipe = client.pipeline(transaction=True)
    if is_byte_bounded(stream):
        pipe.decrby(bytes_key(stream), len(fields.get(b"payload", b"")))
    pipe.xadd(dead_letter_stream(stream), dead_letter_entry(fields, message_id, reason, time.time()))
    pipe.xack(stream, GROUP, message_id)
    pipe.xdel(stream, message_id)
    pipe.hdel(errors_key(stream), message_id)
    pipe.execute()


def trim_processed(client, stream: str) -> None:
    """Drops entries every consumer is done with, so XLEN is the backlog that ingest checks.

    The safety net: acknowledging deletes the entry already (acknowledge, COUNT_AND_ACK_SCRIPT);
    this catches what was acknowledged otherwise (an older version, a hand-run XACK). An empty
    stream has no bytes waiting: the byte count is reset, so no drift outlives a drained backlog."""
    if is_byte_bounded(stream) and client.xlen(stream) == 0:
        client.set(bytes_key(stream), 0)
    pending = client.xpending(stream, GROUP)
    groups = {g["name"]: g for g in client.xinfo_groups(stream)}
    info = groups.get(GROUP.encode()) or groups.get(GROUP)
    if not info:
        return
    ms, seq = _id_key(info["last-delivered-id"])
    floor = f"{ms}-{seq + 1}"  # MINID keeps ids ≥ floor: everything delivered may go…
    if pending and pending.get("pending"):
        floor = min(floor, pending["min"], key=_id_key)  # …except what is still pending
    client.xtrim(stream, minid=floor, approximate=False)


def _id_key(message_id: bytes | str) -> tuple[int, int]:
    if isinstance(message_id, bytes):
        message_id = message_id.decode()
    ms, _, seq = message_id.partition("-")
    return int(ms), int(seq or 0)
