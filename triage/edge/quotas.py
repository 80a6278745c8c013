"""Event quotas: per project and for the whole installation, per minute, hour and calendar month.

An event counts against every window of its project and of the installation when it is
appended, in the same Lua script that checks the backlog and appends it, so the check and the
count cannot race and a refused event is counted nowhere. Over a quota, ingest answers 429 with
`X-Sentry-Rate-Limits: <seconds>:error;default:<scope>:quota_exceeded` (scope `project`, or
`organization` for the installation's quota, as Sentry names them), the seconds running to the
end of the window, so the SDK stops sending errors until then and keeps sending everything else
(https://develop.sentry.dev/sdk/foundations/transport/rate-limiting/).

A project's quotas are read on the hot path through a HotKeyCache (memo, Redis hash, database),
republished when the project is saved (triage.edge.signals).

With the streams in several partitions (triage.stream) the counters are kept per partition, in
the slot of the stream the script appends to, so the script stays atomic on a Redis Cluster. A
project sticks to one partition, so its quotas stay exact; the installation's, and a hot project's
spread over every partition (triage.edge.partitions), are checked as an equal share per partition
(the quota divided by the partitions, rounded up): with uneven traffic one partition may refuse a
little before the total is reached, never after. With one partition every quota is exact.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from dataclasses import dataclass

from django.conf import settings

from config.edge import HotKeyCache
from triage.stream import PREFIX, IngestMessage, in_partition, known_partitions, partition_of

WINDOWS = ("minute", "hour", "month")
LIMITS_HASH = f"{PREFIX}:project-quotas"
NO_LIMIT = -1


@dataclass(frozen=True)
class Limits:
    minute: int | None = None
    hour: int | None = None
    month: int | None = None

    def encode(self) -> str:
        return ",".join("" if v is None else str(v) for v in (self.minute, self.hour, self.month))

    @classmethod
    def decode(cls, raw: bytes | str) -> Limits:
        parts = (raw.decode() if isinstance(raw, bytes) else raw).split(",")
        return cls(*(int(p) if p else None for p in parts))

    def of(self, window: str) -> int | None:
        return getattr(self, window)


def installation_limits() -> Limits:
    return Limits(*(settings.SWITCHYARD.get(f"QUOTA_PER_{w.upper()}") for w in WINDOWS))


def project_limits(project) -> Limits:
    return Limits(project.event_quota_minute, project.event_quota_hour, project.event_quota_month)


def _limits_in_db(project_id: str) -> str | None:
    from projects.models import Project

    project = Project.objects.filter(id=int(project_id)).only(
        "event_quota_minute", "event_quota_hour", "event_quota_month").first()
    # Every project has a value (",," for none): only a missing project is "unknown".
    return project_limits(project).encode() if project else None


def limits_cache() -> HotKeyCache:
    return HotKeyCache(LIMITS_HASH, _limits_in_db, ttl=lambda: settings.SWITCHYARD["KEY_CACHE_SECONDS"])


def window_of(window: str, now: dt.datetime) -> tuple[str, int]:
    """(the window's name in counter keys, seconds until it ends) for `now` (UTC)."""
    now = now.astimezone(dt.UTC)
    seconds = int(now.timestamp())
    if window == "minute":
        return f"m{seconds // 60}", 60 - seconds % 60
    if window == "hour":
        return f"h{seconds // 3600}", 3600 - seconds % 3600
    days = calendar.monthrange(now.year, now.month)[1]
    end = dt.datetime(now.year, now.month, days, tzinfo=dt.UTC) + dt.timedelta(days=1)
    return f"mo{now:%Y%m}", int((end - now).total_seconds()) or 1


def counter_key(scope: str, window_name: str, partition: int = 0) -> str:
    return in_partition(f"{PREFIX}:quota:{scope}:{window_name}", partition)


def share(limit: int | None, parts: int) -> int | None:
    """A quota's share in one of `parts` partitions."""
    return None if limit is None else math.ceil(limit / parts)


# Appends an event when the backlog is under the cap and no quota is used up, then counts it in
# every window. KEYS: the stream, then one counter per quota. ARGV: the cap, the number of
# counters, per counter (limit or -1, seconds to keep it, label), then the message's fields.
APPEND_EVENT_SCRIPT = """
if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[1]) then
  return {'backlog'}
end
local n = tonumber(ARGV[2])
for i = 1, n do
  local limit = tonumber(ARGV[3 * i])
  if limit >= 0 and tonumber(redis.call('GET', KEYS[1 + i]) or '0') >= limit then
    return {'quota', ARGV[3 * i + 2]}
  end
end
for i = 1, n do
  if redis.call('INCR', KEYS[1 + i]) == 1 then
    redis.call('EXPIRE', KEYS[1 + i], tonumber(ARGV[3 * i + 1]))
  end
end
return {'ok', redis.call('XADD', KEYS[1], '*', unpack(ARGV, 3 * n + 3))}
"""


def append_event(stream_name: str, message: IngestMessage, cap: int, project: Limits, installation: Limits,
                 now: dt.datetime, partitions: int = 1, spread: bool = False) -> tuple[list[str], list]:
    """(KEYS, ARGV) of APPEND_EVENT_SCRIPT for one event, into the partition of `stream_name` (one of
    `partitions`; `spread`: the project goes to every partition). Labels name the scope and the window."""
    keys, args = [stream_name], [cap, 2 * len(WINDOWS)]
    p = partition_of(stream_name)
    scopes = ((f"p{message.project_id}", project, "project", partitions if spread else 1),
              ("all", installation, "organization", partitions))
    for scope, limits, label, parts in scopes:
        for window in WINDOWS:
            name, left = window_of(window, now)
            limit = share(limits.of(window), parts)
            keys.append(counter_key(scope, name, p))
            # Kept a little past its window, so the settings page can still read a full minute.
            args += [NO_LIMIT if limit is None else limit, left + 120, f"{label}:{window}"]
    for field, value in message.to_fields().items():
        args += [field, value]
    return keys, args


def usage(redis, project_id: int, now: dt.datetime) -> dict[str, int]:
    """{window: events counted in it so far} for the project, for its settings page (over every
    partition: one GET each, as one MGET cannot span a cluster's slots)."""
    partitions = known_partitions(redis)
    pipe = redis.pipeline(transaction=False)
    for w in WINDOWS:
        for p in range(partitions):
            pipe.get(counter_key(f"p{project_id}", window_of(w, now)[0], p))
    values = pipe.execute()
    return {w: sum(int(v or 0) for v in values[i * partitions:(i + 1) * partitions]) for i, w in enumerate(WINDOWS)}


@dataclass(frozen=True)
class QuotaRow:
    window: str
    used: int
    project_limit: int | None
    installation_limit: int | None


LABELS = {"minute": "Events this minute", "hour": "Events this hour", "month": "Events this month"}


def quota_rows(redis, project, now: dt.datetime) -> list[QuotaRow]:
    """What the project's settings page shows: per window its use and both quotas."""
    used, own, everyone = usage(redis, project.id, now), project_limits(project), installation_limits()
    return [QuotaRow(LABELS[w], used[w], own.of(w), everyone.of(w)) for w in WINDOWS]


def seconds_left(label: str, now: dt.datetime) -> int:
    return window_of(label.split(":")[1], now)[1]
