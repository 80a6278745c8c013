"""Per-minute counts and affected users follow a merge or an unmerge (triage.grouping.regroup).

The database moves events, breakdowns and rolled-up minute counts in the regrouping's
transaction. The counts of the last hours live in Redis too (triage.grouping.counters), keyed by
group id, and a worker may be between its commit and its acknowledgement, about to count an event
under the group id it read before the regrouping. So, after the commit:

- a **merge** moves each hot minute's count of the merged groups to the group they went into,
  merges their users' HyperLogLogs, and records a redirect (``GROUP_REDIRECTS``), which the count
  script follows for an acknowledgement still carrying a merged group's id;
- an **unmerge** looks at each moved event of the hot minutes: one already acknowledged moves its
  count (−1 here, +1 there); one not yet acknowledged gets a mark (``MOVED_EVENTS``), so its
  acknowledgement counts it where it is now, whichever worker sends it. Both groups' users are
  recounted from their stored events, as Sentry's unmerge does.

Then the database's minute rows of the hot minutes are set from Redis. Each step is a Lua script
(atomic against the count script) or an overwrite, and each is idempotent: the move is written
in the regrouping's transaction (CountMove, an outbox), applied right after the commit, and
deleted once done; a move left over by a crash or a Redis outage is applied by the next roll-up
(triage.tasks.roll_up_counts), which takes the same lock, so it never copies counts halfway
through a move. Nothing is counted twice and nothing is lost.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.conf import settings

from triage import bulk, stream
from triage.grouping import counters
from triage.grouping.counters import counts_key, group_redirects_key, minute_of, moved_events_key, users_key
from triage.models import CountMove, ErrorEvent, ErrorGroup, GroupMinuteCount
from triage.stream import EVENTS, PREFIX, in_partition

log = logging.getLogger(__name__)

LOCK = f"{PREFIX}:counts-lock"
LOCK_SECONDS = 300  # a move of 100k events takes seconds; a holder that died frees it after this
MARKER_SECONDS = 7 * 86400  # a move is retried at most this long after it was applied
# Minutes the move adjusts in Redis: every reader of the hot counters (charts: 2 hours, spikes,
# the roll-up: 10 minutes) reads inside the counters' TTL less this margin; older minutes are
# the database's alone, and the regrouping's transaction moves them there.
HOT_MARGIN_SECONDS = 15 * 60
CHUNK = 500  # events per unmerge script: unpack() and a script's run time stay small


class CountsBusy(RuntimeError):
    """Another merge, unmerge or roll-up held the counts for longer than a person waits."""


def hot_since(now: dt.datetime) -> int:
    """The first minute (epoch seconds) whose counts a move adjusts in Redis."""
    return minute_of(now) - settings.SWITCHYARD["HOT_COUNT_TTL_SECONDS"] + HOT_MARGIN_SECONDS


def hot_minutes(now: dt.datetime) -> list[int]:
    return list(range(hot_since(now), minute_of(now) + 60, 60))


@contextmanager
def counts_lock(redis, wait_seconds: float = 30) -> Iterator[None]:
    """Held by a regrouping from before its transaction until its counts moved, and by the
    roll-up: the roll-up copies Redis into the database, so it must see a move whole or not at all."""
    lock = redis.lock(LOCK, timeout=LOCK_SECONDS, blocking_timeout=wait_seconds)
    if not lock.acquire():
        raise CountsBusy("Counts are being moved by another merge; try again in a moment.")
    try:
        yield
    finally:
        try:
            lock.release()
        except Exception:  # expired while held (a very long move): the next holder is already safe
            log.warning("the counts lock expired before it was released")


def record_merge(into: int, merged: list[int], now: dt.datetime) -> CountMove:
    """In the merge's transaction: what Redis must do once it commits."""
    data = {"into": into, "merged": merged, "minutes": hot_minutes(now)}
    return CountMove.objects.create(kind="merge", data=data, created_at=now)


def record_split(source: int, target: int, events: list[tuple[str, int]], now: dt.datetime) -> CountMove:
    """In the unmerge's transaction: the moved events of the hot minutes, as (stream id, minute)."""
    data = {"source": source, "target": target, "events": events, "minutes": sorted({m for _, m in events})}
    return CountMove.objects.create(kind="split", data=data, created_at=now)


def apply_after_commit(redis, move: CountMove) -> None:
    """Applies a move its caller just committed; a failure (Redis away) is logged and left to the
    roll-up, which retries it: the regrouping itself has happened."""
    try:
        apply(redis, move)
    except Exception:
        log.exception("moving the counts of %s %s failed; the roll-up will retry it", move.kind, move.id)


def apply_pending(redis) -> int:
    """Applies the moves left over (the roll-up calls this under counts_lock); how many."""
    moves = list(CountMove.objects.order_by("id"))
    for move in moves:
        apply(redis, move)
    return len(moves)


def apply(redis, move: CountMove) -> None:
    """Idempotent: each script runs once per move (a marker key), the rest overwrites."""
    data = move.data
    if move.kind == "merge":
        _run_merge(redis, move.id, data["into"], data["merged"], data["minutes"])
        groups = [data["into"]]
        _update_users_affected(redis, groups)
    else:
        for part, chunk in enumerate(_chunks(data["events"], CHUNK)):
            _run_split(redis, move.id, part, data["source"], data["target"], chunk)
        groups = [data["source"], data["target"]]
        for group_id in groups:
            _recount_users(redis, group_id)
    copy_hot_counts(redis, groups, data["minutes"])
    CountMove.objects.filter(id=move.id).delete()


# KEYS: the move's marker, the redirects hash, the users key of `into`, the users key of each merged
# group, then the counts key of each hot minute. ARGV: into, the number of merged groups, their ids.
MERGE_SCRIPT = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[#ARGV]) then return 0 end
local into, n = ARGV[1], tonumber(ARGV[2])
local merged = {}
for i = 1, n do merged[ARGV[2 + i]] = true end
-- a group merged earlier into one of these now leads to `into` too
local redirects = redis.call('HGETALL', KEYS[2])
for i = 1, #redirects, 2 do
  if merged[redirects[i + 1]] then redis.call('HSET', KEYS[2], redirects[i], into) end
end
for i = 1, n do
  local from = ARGV[2 + i]
  redis.call('HSET', KEYS[2], from, into)
  for k = 4 + n, #KEYS do
    local count = redis.call('HGET', KEYS[k], from)
    if count then
      redis.call('HINCRBY', KEYS[k], into, count)
      redis.call('HDEL', KEYS[k], from)
    end
  end
end
redis.call('PFMERGE', KEYS[3], unpack(KEYS, 4, 3 + n))
redis.call('DEL', unpack(KEYS, 4, 3 + n))
return 1
"""

# KEYS: the chunk's marker, the moved-events hash, the events stream, then each event's counts key.
# ARGV: source, target, each event's stream id, the marker's lifetime.
SPLIT_SCRIPT = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[#ARGV]) then return 0 end
local source, target = ARGV[1], ARGV[2]
for i = 3, #ARGV - 1 do
  local id, counts = ARGV[i], KEYS[i + 1]
  if #redis.call('XRANGE', KEYS[3], id, id) > 0 then
    -- not acknowledged yet: its acknowledgement will count it, in the group it is in now
    redis.call('HSET', KEYS[2], id, target)
  elseif redis.call('HEXISTS', counts, source) == 1 then
    -- a count that reaches 0 stays, so the database's copy of the minute is set to 0 as well
    redis.call('HINCRBY', counts, source, -1)
    redis.call('HINCRBY', counts, target, 1)
  end
end
return 1
"""

# KEYS: a users key. ARGV: the users. Replaces the HyperLogLog with one of exactly these users.
RECOUNT_USERS_SCRIPT = """
redis.call('DEL', KEYS[1])
for i = 1, #ARGV, 500 do
  redis.call('PFADD', KEYS[1], unpack(ARGV, i, math.min(i + 499, #ARGV)))
end
return 1
"""


def _marker(move_id: int, part: int | str, partition: int = 0) -> str:
    return in_partition(f"{PREFIX}:count-move:{move_id}:{part}", partition)


def _run_merge(redis, move_id: int, into: int, merged: list[int], minutes: list[int]) -> None:
    """Once per partition: each holds its own share of the groups' counts, users and redirects,
    and a script may only touch one partition's keys (one slot on a Redis Cluster)."""
    for p in range(stream.known_partitions(redis)):
        keys = [_marker(move_id, "merge", p), group_redirects_key(p), users_key(into, p),
                *(users_key(g, p) for g in merged), *(counts_key(m, p) for m in minutes)]
        redis.eval(MERGE_SCRIPT, len(keys), *keys, into, len(merged), *merged, MARKER_SECONDS)


def _run_split(redis, move_id: int, part: int, source: int, target: int, events: list) -> None:
    """Per partition the event went through: its stream id says which (triage.stream.message_ref)."""
    by_partition: dict[int, list] = {}
    for ref, minute in events:
        message_id, p = stream.parse_message_ref(ref)
        by_partition.setdefault(p, []).append((message_id, minute))
    for p, chunk in sorted(by_partition.items()):
        keys = [_marker(move_id, part, p), moved_events_key(p), in_partition(EVENTS, p),
                *(counts_key(minute, p) for _, minute in chunk)]
        # An event stored before stream ids were kept was acknowledged long ago: no entry has id 0-0.
        ids = [message_id or "0-0" for message_id, _ in chunk]
        redis.eval(SPLIT_SCRIPT, len(keys), *keys, source, target, *ids, MARKER_SECONDS)


def _recount_users(redis, group_id: int) -> None:
    """The group's users, exactly, in partition 0's HyperLogLog; the other partitions' are dropped."""
    users = list(ErrorEvent.objects.filter(group_id=group_id).exclude(user_key="").values_list("user_key", flat=True).distinct())
    for p in range(1, stream.known_partitions(redis)):
        redis.delete(users_key(group_id, p))
    redis.eval(RECOUNT_USERS_SCRIPT, 1, users_key(group_id), *users)
    _update_users_affected(redis, [group_id])


def _update_users_affected(redis, group_ids: list[int]) -> None:
    for group_id, users in counters.users_affected(redis, group_ids).items():
        ErrorGroup.objects.filter(id=group_id).update(users_affected=users)


def copy_hot_counts(redis, group_ids: list[int], minutes: list[int]) -> None:
    """Sets the groups' minute rows of `minutes` to the Redis counts (over every partition), as the
    roll-up does for the last 10 minutes. A minute Redis holds no count for is left as it is:
    Redis may have lost it."""
    hot = counters.hot_minute_counts(redis, minutes, group_ids)
    live = set(ErrorGroup.objects.filter(id__in=group_ids).values_list("id", flat=True))
    rows = [
        {"group": group_id, "minute": dt.datetime.fromtimestamp(minute, tz=dt.UTC), "count": max(0, value)}
        for minute, values in hot.items()
        for group_id, value in values.items()
        if group_id in live
    ]
    bulk.overwrite(GroupMinuteCount, ["group", "minute"], ["count"], rows)


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
