"""Per-minute counts: hot in Redis, rolled up into the database.

The worker counts an event in Redis in the same Lua script that acknowledges its stream
message: a message is counted if and only if this call acknowledged it. A worker killed before
the script runs leaves the message pending, so its redelivery counts it; a second consumer that
raced for the same message finds it already acknowledged and counts nothing. Exactly once, with
no bookkeeping keys.

The same script deletes the acknowledged entries from the stream, so its length is the backlog
that ingest compares with the cap (a caught-up worker never causes a 429), and stamps the time
of the stream's last digest for the health endpoint (triage.health).

Every key the script touches is in the stream's partition (triage.stream.tag), so it runs on one
node of a Redis Cluster; a group's counts and users are therefore split over the partitions its
events went through, and the readers here add them up (users: the union of the HyperLogLogs).
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from config.redis_clients import pipeline
from triage import bulk
from triage import stream as streams
from triage.stream import GROUP, HEALTH, PREFIX, in_partition, partition_of

# KEYS: the stream, then a group counts, a users and a project counts key per message, then the
# moved-events and group-redirects hashes and the health hash, all in the stream's partition. ARGV: the counters' TTL, now (epoch
# seconds), then id, group id, user, project id per message.
COUNT_AND_ACK_SCRIPT = """
local ttl, now = tonumber(ARGV[1]), ARGV[2]
local moved, redirects = KEYS[#KEYS - 2], KEYS[#KEYS - 1]
-- A group id the worker read before a merge or an unmerge committed may be out of date by now
-- (triage.grouping.count_moves): the event's own mark, else the merged group's redirects, say
-- where it is. Checked only while either hash exists, so the usual batch pays one EXISTS.
local follow = redis.call('EXISTS', moved, redirects) > 0
local function current_group(id, group_id)
  local target = redis.call('HGET', moved, id)
  if target then
    redis.call('HDEL', moved, id)
    return target
  end
  for _ = 1, 16 do
    local next_id = redis.call('HGET', redirects, group_id)
    if not next_id then break end
    group_id = next_id
  end
  return group_id
end
local counted, done = 0, {}
for i = 1, (#ARGV - 2) / 4 do
  local id, group_id, user, project_id = ARGV[4 * i - 1], ARGV[4 * i], ARGV[4 * i + 1], ARGV[4 * i + 2]
  -- group id 0: a re-sent copy of a stored event, acknowledged but never counted
  if redis.call('XACK', KEYS[1], '""" + GROUP + """', id) == 1 and group_id ~= '0' then
    local counts, projects, users = KEYS[3 * i - 1], KEYS[3 * i + 1], KEYS[3 * i]
    if follow then
      local current = current_group(id, group_id)
      if current ~= group_id then
        -- the declared key's own prefix (its partition's hash tag): same slot, so cluster-safe
        group_id, users = current, users:match('^(.*:users:)') .. current
      end
    end
    redis.call('HINCRBY', counts, group_id, 1)
    redis.call('EXPIRE', counts, ttl)
    redis.call('HINCRBY', projects, project_id, 1)
    redis.call('EXPIRE', projects, ttl)
    if user ~= '' then redis.call('PFADD', users, user) end
    counted = counted + 1
  end
  done[#done + 1] = id
  if #done == 500 then  -- unpack() is limited by Lua's C stack: delete in slices
    redis.call('XDEL', KEYS[1], unpack(done))
    done = {}
  end
end
if #done > 0 then redis.call('XDEL', KEYS[1], unpack(done)) end
redis.call('HSET', KEYS[#KEYS], 'digest:' .. KEYS[1], now)
-- a partition's stamps outlive its counters, so a partition past the setting counts as holding
-- keys until they are gone (triage.stream.register_partitions); partition 0's hash keeps the roll-up's
if KEYS[#KEYS] ~= '""" + HEALTH + """' then redis.call('EXPIRE', KEYS[#KEYS], ttl) end
return counted
"""
# Where counts of a merged group, and of unacknowledged events of a split one, go now
# (triage.grouping.count_moves writes them; the script above reads them).
MOVED_EVENTS = f"{PREFIX}:moved-events"  # stream id → the group its event is in now
GROUP_REDIRECTS = f"{PREFIX}:group-redirects"  # merged group id → the group it went into


@dataclass(frozen=True)
class Counted:
    """One stream message whose event belongs to a group (new or seen before)."""

    message_id: bytes
    group_id: int
    received_at: dt.datetime
    user_key: str
    project_id: int = 0


def minute_of(moment: dt.datetime) -> int:
    return int(moment.timestamp()) // 60 * 60


def counts_key(minute: int, partition: int = 0) -> str:
    return in_partition(f"{PREFIX}:counts:{minute}", partition)


def project_counts_key(minute: int, partition: int = 0) -> str:
    """Per minute, events per project: the projects' usual rates, for spikes of new groups."""
    return in_partition(f"{PREFIX}:project-counts:{minute}", partition)


def users_key(group_id: int, partition: int = 0) -> str:
    return in_partition(f"{PREFIX}:users:{group_id}", partition)


def moved_events_key(partition: int) -> str:
    return in_partition(MOVED_EVENTS, partition)


def group_redirects_key(partition: int) -> str:
    return in_partition(GROUP_REDIRECTS, partition)


def count_and_ack(redis, stream: str, items: list[Counted], ttl: int, now: float | None = None) -> int:
    """Acknowledges (and deletes) the messages and counts each one it acknowledged; returns how many."""
    if not items:
        return 0
    p = partition_of(stream)
    keys, args = [stream], [ttl, repr(time.time() if now is None else now)]
    for item in items:
        minute = minute_of(item.received_at)
        keys += [counts_key(minute, p), users_key(item.group_id, p), project_counts_key(minute, p)]
        args += [item.message_id, item.group_id, item.user_key, item.project_id]
    keys += [moved_events_key(p), group_redirects_key(p), streams.health_key(p)]
    return redis.eval(COUNT_AND_ACK_SCRIPT, len(keys), *keys, *args)


def users_affected(redis, group_ids: Iterable[int]) -> dict[int, int]:
    """{group id: distinct users} over every partition. With one partition a PFCOUNT each; with
    more, a group's HyperLogLogs sit in different slots, which one PFCOUNT cannot span: they are
    copied (GET, a HyperLogLog is a string) next to each other under one tag and counted together."""
    group_ids = list(group_ids)
    partitions = streams.known_partitions(redis)
    pipe = pipeline(redis)
    if partitions == 1:
        for group_id in group_ids:
            pipe.pfcount(users_key(group_id))
        return dict(zip(group_ids, pipe.execute(), strict=True))
    for group_id in group_ids:
        for p in range(partitions):
            pipe.get(users_key(group_id, p))
    blobs = pipe.execute()
    scratch = f"{PREFIX}:scratch:users:{uuid.uuid4().hex}"
    pipe = pipeline(redis)
    counted = []  # (group id, index of its PFCOUNT reply)
    replies = 0
    for i, group_id in enumerate(group_ids):
        names = [f"{scratch}:{group_id}:{p}" for p, blob in enumerate(blobs[i * partitions:(i + 1) * partitions])
                 if blob is not None]
        for name, blob in zip(names, [b for b in blobs[i * partitions:(i + 1) * partitions] if b is not None],
                              strict=True):
            pipe.set(name, blob, ex=60)  # gone by itself if this process dies before the DEL
        if names:
            pipe.pfcount(*names)
            pipe.delete(*names)
            counted.append((group_id, replies + len(names)))
            replies += len(names) + 2
    answers = pipe.execute() if replies else []
    result = dict.fromkeys(group_ids, 0)
    for group_id, at in counted:
        result[group_id] = int(answers[at])
    return result


def hot_minute_counts(redis, minutes: list[int], group_ids: list[int] | None = None,
                      key=counts_key) -> dict[int, dict[int, int]]:
    """{minute: {group_id: count}} from Redis for the given minutes (epoch seconds), added up over
    the partitions; with key=project_counts_key, {minute: {project_id: count}}."""
    partitions = streams.known_partitions(redis)
    pipe = redis.pipeline(transaction=False)
    for minute in minutes:
        for p in range(partitions):
            if group_ids is None:
                pipe.hgetall(key(minute, p))
            else:
                pipe.hmget(key(minute, p), group_ids)
    replies = pipe.execute()
    result = {}
    for i, minute in enumerate(minutes):
        counts: dict[int, int] = {}
        for reply in replies[i * partitions:(i + 1) * partitions]:
            pairs = reply.items() if group_ids is None else zip(group_ids, reply, strict=True)
            for k, v in pairs:
                if v is not None:
                    counts[int(k)] = counts.get(int(k), 0) + int(v)
        result[minute] = counts
    return result


def roll_up_counts(redis, now: dt.datetime, minutes: int = 10) -> int:
    """Copies the last `minutes` minutes of hot counts into GroupMinuteCount.

    Idempotent: it sets the database value to the Redis value, so running it again, or twice at
    once, changes nothing. Minutes keep being copied while they are hot, so the final value lands.
    """
    from triage.models import ErrorGroup, GroupMinuteCount

    current = minute_of(now)
    hot = hot_minute_counts(redis, [current - 60 * i for i in range(minutes)])
    live = set(
        ErrorGroup.objects.filter(id__in={g for counts in hot.values() for g in counts}).values_list("id", flat=True)
    )
    rows = [
        {"group": group_id, "minute": dt.datetime.fromtimestamp(minute, tz=dt.UTC), "count": count}
        for minute, counts in hot.items()
        for group_id, count in counts.items()
        if group_id in live
    ]
    bulk.overwrite(GroupMinuteCount, ["group", "minute"], ["count"], rows)
    return len(rows)
