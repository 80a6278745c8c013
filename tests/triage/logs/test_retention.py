"""triage.logs.retention: days past a project's age or size budget go; on PostgreSQL a day no
project keeps is dropped as a partition, a day others keep loses only the expired project's lines."""

import datetime as dt

import pytest
from django.db import connection

from tests.factories import make_project
from tests.triage.logs.helpers import make_line, store_lines
from triage import partitions
from triage.logs import retention
from triage.logs.schema import TABLE
from triage.models import LogLine, LogVolume

pytestmark = pytest.mark.django_db
NOW = dt.datetime.now(dt.UTC).replace(hour=12, minute=0, second=0, microsecond=0)
TODAY = NOW.date()


def days_ago(n: int) -> dt.datetime:
    return NOW - dt.timedelta(days=n)


def lines_by_day(project) -> dict[dt.date, int]:
    found: dict[dt.date, int] = {}
    for timestamp in LogLine.objects.filter(project_id=project.id).values_list("timestamp", flat=True):
        found[timestamp.date()] = found.get(timestamp.date(), 0) + 1
    return found


def test_keep_from_counts_days_and_bytes_newest_first():
    volumes = [(TODAY, 400), (TODAY - dt.timedelta(days=1), 400), (TODAY - dt.timedelta(days=2), 400)]
    assert retention.keep_from(volumes, TODAY, days=30, max_bytes=10_000) == TODAY - dt.timedelta(days=29)
    assert retention.keep_from(volumes, TODAY, days=2, max_bytes=10_000) == TODAY - dt.timedelta(days=1)
    assert retention.keep_from(volumes, TODAY, days=30, max_bytes=900) == TODAY - dt.timedelta(days=1)


def test_a_day_past_every_projects_age_is_dropped_whole_and_a_shared_day_is_thinned(project):
    short = make_project("short-memory")
    short.log_retention_days = 3
    short.save()
    store_lines([make_line(project, timestamp=days_ago(n), message=f"long {n}") for n in (20, 5, 0)]
                + [make_line(short, timestamp=days_ago(n), message=f"short {n}") for n in (20, 5, 0)])
    pruned = retention.prune_logs(NOW, default_days=14, default_mb=1024)
    assert lines_by_day(project) == {days_ago(5).date(): 1, TODAY: 1}
    assert lines_by_day(short) == {TODAY: 1}
    assert set(LogVolume.objects.values_list("project_id", "day")) == {
        (project.id, days_ago(5).date()), (project.id, TODAY), (short.id, TODAY)}
    if connection.vendor == "postgresql":
        assert pruned.dropped_days == [days_ago(20).date()]  # the day no project keeps: one DROP TABLE
        assert pruned.deleted_lines == 1  # the short project's line on a day the other keeps
        kept = partitions.days(TABLE)
        assert days_ago(20).date() not in kept and days_ago(5).date() in kept
        assert {TODAY + dt.timedelta(days=n) for n in range(3)} <= set(kept)  # made ahead
    else:
        assert pruned.deleted_lines == 3


def test_a_project_over_its_size_budget_loses_its_oldest_days(project):
    project.log_retention_mb = 1
    project.save()
    big = "x" * 100_000
    store_lines([make_line(project, timestamp=days_ago(n), message=big) for n in (3, 2, 1, 0) for _ in range(4)])
    retention.prune_logs(NOW, default_days=14, default_mb=1024)
    # 4 lines a day of ~100 KB: two days fit in 1 MB, the third would not.
    assert lines_by_day(project) == {days_ago(1).date(): 4, TODAY: 4}


def test_a_deleted_projects_lines_go_with_it(project):
    other = make_project("doomed")
    store_lines([make_line(other), make_line(project)])
    other.delete()
    assert list(LogLine.objects.values_list("project_id", flat=True)) == [project.id]


def test_a_partition_is_made_on_demand_and_the_table_is_partitioned_by_day(project):
    day = (NOW + dt.timedelta(days=40)).date()
    store_lines([make_line(project, timestamp=NOW + dt.timedelta(days=40))])
    if connection.vendor != "postgresql":  # a plain table: nothing to make, nothing to drop
        assert partitions.days(TABLE) == [] and partitions.drop_before(TABLE, day) == []
        return
    assert day in partitions.days(TABLE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM triage_logline WHERE project_id = %s", [project.id])
        assert cursor.fetchone()[0] == partitions.partition_name(TABLE, day)
    assert partitions.drop_before(TABLE, day + dt.timedelta(days=1))[-1] == day
    assert not LogLine.objects.filter(project_id=project.id).exists()
