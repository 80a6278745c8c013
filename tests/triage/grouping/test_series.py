"""triage.grouping.series.bucket_counts: chart and sparkline series from the database and the hot counters."""

import datetime as dt

import pytest

from tests.conftest import delete_own_keys
from tests.factories import make_event
from tests.triage.helpers import push
from triage.grouping import counters, series
from triage.models import ErrorGroup, GroupMinuteCount

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 3, 2, 12, 30, 20, tzinfo=dt.UTC)
MINUTE = counters.minute_of(NOW)


@pytest.fixture
def group(project, redis_client):
    push(project, redis_client, [make_event()])
    delete_own_keys(redis_client)  # only this test's counters below
    return ErrorGroup.objects.get(project=project)


def rolled_up(group, minutes_ago: int, count: int) -> None:
    GroupMinuteCount.objects.create(group=group, minute=dt.datetime.fromtimestamp(MINUTE - 60 * minutes_ago, tz=dt.UTC), count=count)


def test_hourly_buckets_sum_the_rolled_up_minutes(group, redis_client):
    for minutes_ago, count in [(5 * 60, 2), (5 * 60 + 10, 3), (24 * 60 + 5, 100)]:
        rolled_up(group, minutes_ago, count)
    start = MINUTE // 3600 * 3600 - 23 * 3600
    counts = series.bucket_counts(redis_client, [group.id], start, 3600, 24, NOW)[group.id]
    assert len(counts) == 24 and sum(counts) == 5  # the minute of yesterday is outside the 24 hours
    assert counts[-6] == 5


def test_minutes_only_in_redis_are_counted(group, redis_client):
    redis_client.hset(counters.counts_key(MINUTE), group.id, 7)
    counts = series.bucket_counts(redis_client, [group.id], MINUTE - 59 * 60, 60, 60, NOW)[group.id]
    assert counts[-1] == 7 and sum(counts) == 7


def test_a_minute_in_both_takes_the_larger_count_because_the_database_copy_lags(group, redis_client):
    rolled_up(group, 1, 4)
    redis_client.hset(counters.counts_key(MINUTE - 60), group.id, 9)
    rolled_up(group, 2, 6)  # expired from Redis: the database keeps it
    counts = series.bucket_counts(redis_client, [group.id], MINUTE - 59 * 60, 60, 60, NOW)[group.id]
    assert counts[-2:] == [9, 0] and counts[-3] == 6


def test_daily_buckets_start_at_midnight_utc(group, redis_client):
    rolled_up(group, 12 * 60 + 31, 1)  # 2026-03-01 23:59
    rolled_up(group, 12 * 60 + 29, 2)  # 2026-03-02 00:01
    start = MINUTE // 86400 * 86400 - 86400
    assert series.bucket_counts(redis_client, [group.id], start, 86400, 2, NOW)[group.id] == [1, 2]
