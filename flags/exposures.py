"""Exposures: every evaluation, per flag, variant, environment and minute, in Redis, and the
users exposed to each variant, per ten minutes.

These are the denominators of error rates per flag cohort. Evaluations: one hash per (project,
environment, minute), field `<flag key>|<variant>` (neither may contain `|`). Users: a
HyperLogLog of targeting keys per (project, environment, ten minutes, flag, variant), so "how
many distinct users got `on` in the last half hour" is one PFCOUNT over three keys, at 0.8 %
standard error in 12 KB at most. An OFREP answer of 50 flags is one round trip: a Lua script
doing 50 HINCRBY and, with a targeting key, 50 PFADD, then the EXPIREs and an HSET of "last
evaluated" times at most once a minute per flag and process. OFREP misses (keys apps evaluate
that we do not know) are counted too, for the stale-flags page.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from config.redis_clients import pipeline
from flags import conf
from flags.cache import RAW_PREFIX

SEPARATOR = "|"
_marked: dict[tuple[int, str], int] = {}  # (project, flag key) → minute last written by this process


def minute_of_epoch(epoch_seconds: float) -> int:
    return int(epoch_seconds) // 60 * 60


def _tag(project_id: int) -> str:
    """A project's exposure keys share a hash tag: the count script and the users' union
    (exposed_users_many) touch several at once, which a Redis Cluster allows only in one slot.
    Projects still spread over the cluster's nodes."""
    return f"{RAW_PREFIX}:{{flags:{project_id}}}"


def exposure_key(project_id: int, environment: str, minute: int) -> str:
    return f"{_tag(project_id)}:exposures:{environment}:{minute}"


USER_BUCKET_SECONDS = 600


def user_bucket(epoch_seconds: float) -> int:
    return int(epoch_seconds) // USER_BUCKET_SECONDS * USER_BUCKET_SECONDS


def exposed_users_key(project_id: int, environment: str, bucket: int, flag_key: str, variant: str) -> str:
    return f"{_tag(project_id)}:exposed:{environment}:{bucket}:{flag_key}{SEPARATOR}{variant}"


def evaluated_key(project_id: int) -> str:
    return f"{_tag(project_id)}:evaluated"


def misses_key(project_id: int) -> str:
    return f"{RAW_PREFIX}:misses:{project_id}"


def missed_at_key(project_id: int) -> str:
    return f"{RAW_PREFIX}:missed-at:{project_id}"


# One command instead of 2 per flag: with redis-py, packing and parsing 50 HINCRBY replies
# cost ~1 ms of CPU per bulk answer (profiled); the script costs one round trip and ~0.1 ms.
# KEYS: exposures hash, last-evaluated hash, then one exposed-users key per field when there is
# a targeting key. ARGV: ttl, now, n, the targeting key (or ""), users' ttl, n `key|variant`
# fields, then the flag keys whose last-evaluated time to set.
_COUNT_SCRIPT = """
local n, user = tonumber(ARGV[3]), ARGV[4]
for i = 1, n do
  redis.call('HINCRBY', KEYS[1], ARGV[5 + i], 1)
  if user ~= '' then
    redis.call('PFADD', KEYS[2 + i], user)
    redis.call('EXPIRE', KEYS[2 + i], tonumber(ARGV[5]))
  end
end
if n > 0 then redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1])) end
for i = 6 + n, #ARGV do redis.call('HSET', KEYS[2], ARGV[i], ARGV[2]) end
return n
"""
# Exposed users are kept two hours: spikes are judged over the last half hour at most.
USERS_TTL_SECONDS = 2 * 3600
_script = None


def _count_script(redis):
    global _script
    if _script is None:
        _script = redis.register_script(_COUNT_SCRIPT)  # runs by EVALSHA on whichever client is passed
    return _script


def record_evaluations(
    redis, project_id: int, environment: str, results: Iterable[tuple[str, str]], now: float, misses: Iterable[str] = (),
    targeting_key: str = "",
) -> None:
    """Counts (flag key, variant) evaluations, and the targeting key among each variant's users,
    and flag-not-found keys, each in one round trip."""
    results, misses = list(results), list(misses)
    if results:
        minute = minute_of_epoch(now)
        unmarked = sorted({flag_key for flag_key, _ in results if _marked.get((project_id, flag_key)) != minute})
        fields = [f"{flag_key}{SEPARATOR}{variant}" for flag_key, variant in results]
        users = [exposed_users_key(project_id, environment, user_bucket(now), flag_key, variant)
                 for flag_key, variant in results] if targeting_key else []
        _count_script(redis)(
            keys=[exposure_key(project_id, environment, minute), evaluated_key(project_id), *users],
            args=[conf.get("EXPOSURE_TTL_SECONDS"), int(now), len(fields), targeting_key[:256], USERS_TTL_SECONDS,
                  *fields, *unmarked],
            client=redis,
        )
        if len(_marked) > 100_000:
            _marked.clear()
        _marked.update({(project_id, flag_key): minute for flag_key in unmarked})
    if misses:
        ttl = conf.get("MISS_TTL_SECONDS")
        pipe = redis.pipeline(transaction=False)
        for flag_key in misses:
            pipe.hincrby(misses_key(project_id), flag_key, 1)
        pipe.hset(missed_at_key(project_id), mapping={flag_key: int(now) for flag_key in misses})
        pipe.expire(misses_key(project_id), ttl)
        pipe.expire(missed_at_key(project_id), ttl)
        pipe.execute()


def exposure_counts(redis, project_id: int, flag_key: str, environment: str, minutes: list[int]) -> dict[int, dict[str, int]]:
    """{minute: {variant: evaluations}} for the given minutes (epoch seconds, multiples of 60).

    Every requested minute is in the answer, with {} when nothing was evaluated; minutes older
    than EXPOSURE_TTL_SECONDS have expired and read as {}.
    """
    pipe = redis.pipeline(transaction=False)
    for minute in minutes:
        pipe.hgetall(exposure_key(project_id, environment, minute))
    prefix = f"{flag_key}{SEPARATOR}"
    counts: dict[int, dict[str, int]] = {}
    for minute, reply in zip(minutes, pipe.execute(), strict=True):
        row = {}
        for field, count in reply.items():
            field = field.decode() if isinstance(field, bytes) else field
            if field.startswith(prefix):
                row[field[len(prefix):]] = int(count)
        counts[minute] = row
    return counts


def exposed_users(redis, project_id: int, environment: str, flag_key: str, variants: Iterable[str], start: float,
                  end: float, affected: Iterable[str] = ()) -> dict[str, tuple[int, int]]:
    """{variant: (users exposed, of them affected)}: exposed_users_many for one flag."""
    variants = list(variants)
    counted = exposed_users_many(redis, project_id, environment, [(flag_key, v) for v in variants], set(affected),
                                 start, end)
    return {variant: counted[(flag_key, variant)] for variant in variants}


def exposed_users_many(redis, project_id: int, environment: str, cohorts: list[tuple[str, str]], affected: set[str],
                       start: float, end: float) -> dict[tuple[str, str], tuple[int, int]]:
    """{(flag key, variant): (users served the variant, of them in `affected`)} over the
    ten-minute buckets from `start` to `end`; `affected` are the targeting keys of users an error
    hit. The overlap is |A| + |E| − |A ∪ E|, the union counted by Redis (HyperLogLog), clamped
    so that it never exceeds either side: a rate built from it never passes 100 %. One round
    trip, and the affected users are sent once whatever the number of cohorts (a group's 100
    flags cost one HyperLogLog of its users, not 200)."""
    buckets = range(user_bucket(start), user_bucket(end) + 1, USER_BUCKET_SECONDS)
    scratch = f"{_tag(project_id)}:scratch:affected:{uuid.uuid4().hex}"
    pipe = pipeline(redis)  # PFCOUNT: a cluster pipeline refuses it
    if affected:
        pipe.pfadd(scratch, *sorted(affected))
        pipe.pfcount(scratch)
    for flag_key, variant in cohorts:
        keys = [exposed_users_key(project_id, environment, b, flag_key, variant) for b in buckets]
        pipe.pfcount(*keys)
        if affected:
            pipe.pfcount(scratch, *keys)
    if affected:
        pipe.delete(scratch)
    replies = iter(pipe.execute())
    hit = 0
    if affected:
        next(replies)  # PFADD's answer
        hit = next(replies)
    result = {}
    for cohort in cohorts:
        exposed = next(replies)
        union = next(replies) if affected else 0
        overlap = hit + exposed - union if affected and exposed else 0
        result[cohort] = (exposed, max(0, min(overlap, hit, exposed)))
    return result


def last_evaluated(redis, project_id: int) -> dict[str, dt.datetime]:
    """When each flag of the project was last evaluated, as far as Redis remembers."""
    return {
        _text(key): dt.datetime.fromtimestamp(int(seconds), tz=dt.UTC)
        for key, seconds in redis.hgetall(evaluated_key(project_id)).items()
    }


def missed_keys(redis, project_id: int) -> dict[str, tuple[int, dt.datetime]]:
    """{flag key: (OFREP misses, last miss)} for keys apps asked for that the project lacks."""
    pipe = redis.pipeline(transaction=False)
    pipe.hgetall(misses_key(project_id))
    pipe.hgetall(missed_at_key(project_id))
    counts, seen = pipe.execute()
    seen = {_text(k): int(v) for k, v in seen.items()}
    return {
        _text(key): (int(count), dt.datetime.fromtimestamp(seen.get(_text(key), 0), tz=dt.UTC))
        for key, count in counts.items()
    }


def forget_misses(redis, project_id: int, flag_key: str) -> None:
    """Called when a flag is created: its earlier misses are no longer news."""
    pipe = redis.pipeline(transaction=False)
    pipe.hdel(misses_key(project_id), flag_key)
    pipe.hdel(missed_at_key(project_id), flag_key)
    pipe.execute()


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else value
