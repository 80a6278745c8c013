"""Series for charts and sparklines: the per-minute counts of groups, summed into buckets.

The read half of the counts that triage.grouping.counters writes: the database's roll-ups for the
past, Redis's hot counters for the last hours.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Func, IntegerField, Sum

from triage.grouping.counters import hot_minute_counts, minute_of, project_counts_key
from triage.models import GroupMinuteCount


def bucket_counts(
    redis, group_ids: list[int], start: int, step: int, buckets: int, now: dt.datetime, hot_seconds: int = 2 * 3600,
    db: dict[tuple[int, int], int] | None = None,
) -> dict[int, list[int]]:
    """{group id: [count per bucket]} for `buckets` buckets of `step` seconds from epoch `start`.

    `step` is 60 (minutes) or a multiple of 3600. Counts come from GroupMinuteCount, and for the
    last `hot_seconds` also from Redis; per bucket the larger of the two wins, because the database
    holds copies of the Redis counters that lag by up to one roll-up (30 s), while Redis forgets
    after its TTL. One query and one Redis round trip whatever the number of groups; `db` is the
    database part (db_buckets) when the caller kept it from a moment ago.
    """
    result = {g: [0] * buckets for g in group_ids}
    if not group_ids or buckets <= 0:
        return result
    end = start + step * buckets
    if db is None:
        db = db_buckets(group_ids, start, step, buckets)
    for source in (db, _hot_buckets(redis, group_ids, start, end, step, now, hot_seconds)):
        for (group_id, index), count in source.items():
            if 0 <= index < buckets and count > result[group_id][index]:
                result[group_id][index] = count
    return result


def db_buckets(group_ids: list[int], start: int, step: int, buckets: int) -> dict[tuple[int, int], int]:
    """{(group id, bucket index): count} from GroupMinuteCount, summed in the database: at most
    groups × buckets rows come back (a busy group has 20,160 minute rows in 14 days)."""
    end = start + step * buckets
    rows = GroupMinuteCount.objects.filter(
        group_id__in=group_ids,
        minute__gte=dt.datetime.fromtimestamp(start, tz=dt.UTC),
        minute__lt=dt.datetime.fromtimestamp(end, tz=dt.UTC),
    )
    pairs = rows.annotate(bucket=_Bucket("minute", start=start, step=step)).values("group_id", "bucket").annotate(n=Sum("count"))
    return {(group_id, bucket): n for group_id, bucket, n in pairs.values_list("group_id", "bucket", "n")}


class _Bucket(Func):
    """(epoch seconds of a datetime column - start) // step, in SQL, for PostgreSQL and SQLite."""

    output_field = IntegerField()

    def __init__(self, column: str, start: int, step: int):
        super().__init__(column)
        self.start, self.step = int(start), int(step)

    def as_postgresql(self, compiler, connection):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"FLOOR((EXTRACT(EPOCH FROM {sql}) - %s) / %s)::bigint", [*params, self.start, self.step]

    def as_sqlite(self, compiler, connection):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"((CAST(strftime('%%s', {sql}) AS INTEGER) - %s) / %s)", [*params, self.start, self.step]


def _hot_buckets(redis, group_ids, start: int, end: int, step: int, now: dt.datetime, hot_seconds: int):
    current = minute_of(now)
    first = max(start, current - hot_seconds)
    minutes = list(range(first - first % 60, min(end, current + 60), 60))
    buckets: dict[tuple[int, int], int] = {}
    if not minutes:
        return buckets
    for minute, counts in hot_minute_counts(redis, minutes, list(group_ids)).items():
        if minute < start:
            continue
        for group_id, count in counts.items():
            key = (group_id, (minute - start) // step)
            buckets[key] = buckets.get(key, 0) + count
    return buckets


def project_bucket_counts(redis, project_id: int, start: int, step: int, buckets: int, now: dt.datetime,
                          hot_seconds: int = 2 * 3600) -> list[int]:
    """[count per bucket] of all the project's groups, as bucket_counts per group: the database's
    roll-ups summed in one query, Redis's per-project minute counters for the last `hot_seconds`
    (the ones the spike test reads), the larger of the two per bucket."""
    result = [0] * buckets
    end = start + step * buckets
    rows = GroupMinuteCount.objects.filter(
        group__project_id=project_id,
        minute__gte=dt.datetime.fromtimestamp(start, tz=dt.UTC),
        minute__lt=dt.datetime.fromtimestamp(end, tz=dt.UTC),
    )
    for index, n in rows.annotate(bucket=_Bucket("minute", start=start, step=step)).values("bucket").annotate(n=Sum("count")).values_list("bucket", "n"):
        if 0 <= index < buckets:
            result[index] = n
    current = minute_of(now)
    first = max(start, current - hot_seconds)
    minutes = list(range(first - first % 60, min(end, current + 60), 60))
    hot = [0] * buckets
    for minute, counts in (hot_minute_counts(redis, minutes, [project_id], key=project_counts_key) if minutes else {}).items():
        index = (minute - start) // step
        if minute >= start and 0 <= index < buckets:
            hot[index] += counts.get(project_id, 0)
    return [max(a, b) for a, b in zip(result, hot, strict=True)]
