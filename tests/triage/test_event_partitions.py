"""Events partitioned by day on PostgreSQL (triage.event_partitions): where they land, how a
re-sent copy is still kept out without a unique key on the events, how retention drops whole
days, and how the migration moves an existing table over with every event."""

import dataclasses
import datetime as dt
import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from projects.members import create_project
from tests.factories import make_event
from triage import event_partitions, partitions
from triage.digest.events import digest_events, prepare
from triage.models import ErrorEvent, ErrorGroup, EventId
from triage.retention import prune_event_ids, prune_events
from triage.stream import IngestMessage

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="partitions are PostgreSQL's")

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


def digest(project, received: dt.datetime, event: dict | None = None, stream_id: bytes = b"1-0"):
    event = event or make_event()
    message = IngestMessage(project.id, event["event_id"], received.timestamp(), json.dumps(event).encode())
    return digest_events([prepare(stream_id, message, "")], received)


def prune(default_budget: int) -> int:
    """prune_events as the periodic task runs it, in a transaction of its own: here the test's
    transaction inserted the rows, so their deferred foreign-key checks are fired first
    (PostgreSQL will not drop a table with checks pending)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    return prune_events(default_budget=default_budget, now=NOW)


def events_per_day() -> dict[dt.date, int]:
    """Counted in each partition itself, empty ones left out: proof the rows are where the day says."""
    counts = {}
    with connection.cursor() as cursor:
        for day in partitions.days(event_partitions.TABLE):
            cursor.execute(f'SELECT count(*) FROM "{partitions.partition_name(event_partitions.TABLE, day)}"')
            if count := cursor.fetchone()[0]:
                counts[day] = count
    return counts


@postgres_only
def test_events_land_in_the_partition_of_the_day_they_were_received(project):
    for days_ago in (0, 0, 2):
        digest(project, NOW - dt.timedelta(days=days_ago))
    assert events_per_day() == {NOW.date(): 2, NOW.date() - dt.timedelta(days=2): 1}
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'triage_errorevent_pkey'")
        assert cursor.fetchone()[0] == "PRIMARY KEY (id, received_at)"


@postgres_only
@pytest.mark.django_db(transaction=True)  # DROP TABLE refuses a table with deferred FK checks pending
def test_a_partition_dropped_after_this_process_saw_it_is_made_again_for_the_next_write(project):
    """A migration run backwards and forwards, or an operator, may drop a day a writer already
    saw: its next batch must not fail for want of it."""
    day = NOW.date() - dt.timedelta(days=1)
    digest(project, NOW - dt.timedelta(days=1))
    with connection.cursor() as cursor:  # as another process would: this one is not told
        cursor.execute(f'DROP TABLE "{partitions.partition_name(event_partitions.TABLE, day)}"')
    assert partitions.ensure_days(event_partitions.TABLE, [day]) == [day]
    digest(project, NOW - dt.timedelta(days=1))
    assert events_per_day() == {day: 1}


def test_a_copy_re_sent_days_later_is_stored_once_and_not_counted(project):
    """Another receive day is another partition: only EventId can tell it is the same event."""
    event = make_event()
    [first] = digest(project, NOW - dt.timedelta(days=3), event, b"1-0")
    [again] = digest(project, NOW, event, b"9-0")
    assert first.group_id and again.group_id == 0  # acknowledged, not counted
    assert ErrorEvent.objects.count() == 1 and ErrorGroup.objects.get().event_count == 1
    assert EventId.objects.get().stream_id == "1-0"


def test_a_redelivery_from_a_stream_partition_is_counted_too(project):
    """Stream partitions number their entries independently, so the id an event keeps names its
    partition (`1-0@3`); a redelivery from partition 3 must be recognised by that id, or it is
    taken for a re-sent copy and its count is lost (a worker dying between commit and ack)."""
    event = make_event()
    message = IngestMessage(project.id, event["event_id"], NOW.timestamp(), json.dumps(event).encode())

    def from_partition_3():
        return digest_events([dataclasses.replace(prepare(b"1-0", message, ""), partition=3)], NOW)

    [first], [redelivered] = from_partition_3(), from_partition_3()
    assert first.group_id and redelivered.group_id == first.group_id
    assert EventId.objects.get().stream_id == ErrorEvent.objects.get().stream_id == "1-0@3"


def test_a_redelivery_is_counted_into_the_group_of_the_stored_event(project):
    event = make_event()
    [first] = digest(project, NOW - dt.timedelta(days=1), event, b"1-0")
    [redelivered] = digest(project, NOW - dt.timedelta(days=1), event, b"1-0")
    assert redelivered.group_id == first.group_id
    assert ErrorEvent.objects.count() == 1


def test_event_ids_are_forgotten_after_the_dedupe_window(project):
    digest(project, NOW - dt.timedelta(days=8))
    digest(project, NOW - dt.timedelta(days=1))
    assert prune_event_ids(NOW, days=7) == 1
    assert EventId.objects.count() == 1
    assert ErrorEvent.objects.count() == 2  # the events themselves follow their own retention


@postgres_only
def test_retention_drops_the_days_every_project_is_past_and_deletes_within_the_others(project, alice):
    """`project` keeps 2 events, spread over three old days; `quiet` keeps all of its one, two
    days ago: the oldest day goes whole, the quiet project's day loses only the busy one's rows."""
    project.retention_events = 2
    project.save()
    quiet = create_project("quiet", members=[alice])
    for days_ago in (4, 4, 2, 1, 0):
        digest(project, NOW - dt.timedelta(days=days_ago))
    digest(quiet, NOW - dt.timedelta(days=2))
    day = {n: NOW.date() - dt.timedelta(days=n) for n in range(5)}

    assert prune(100) == 3
    assert events_per_day() == {day[2]: 1, day[1]: 1, day[0]: 1}
    assert day[4] not in partitions.days(event_partitions.TABLE)  # dropped, not emptied
    assert {NOW.date() + dt.timedelta(days=n) for n in (1, 2)} <= set(partitions.days(event_partitions.TABLE))  # made ahead
    assert set(ErrorEvent.objects.filter(project=project).values_list("received_at", flat=True)) == {
        NOW - dt.timedelta(days=1), NOW}
    assert ErrorEvent.objects.filter(project=quiet).count() == 1
    assert ErrorGroup.objects.get(project=project).event_count == 5  # counts stay


def test_retention_on_any_database_keeps_the_newest_by_receive_time(project):
    """SQLite has no partitions: the same budget holds by DELETE."""
    project.retention_events = 2
    project.save()
    for days_ago in (3, 2, 1, 0):
        digest(project, NOW - dt.timedelta(days=days_ago))
    assert prune(100) == 2
    assert sorted(ErrorEvent.objects.values_list("received_at", flat=True)) == [NOW - dt.timedelta(days=1), NOW]
    assert (connection.vendor == "postgresql") == bool(partitions.days(event_partitions.TABLE))


BEFORE = [("triage", "0017_fingerprint_rules")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_every_event_of_an_existing_database():
    """Rows made under the old schema (one plain table, unique event ids) over several days are
    all in the new table afterwards, ids and columns alike; on PostgreSQL each in its day's
    partition, and new events take ids after theirs. Recent ones keep a re-sent copy out."""
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        old = migrate(BEFORE)
        project = old.get_model("projects", "Project").objects.create(name="shop", slug="shop")
        group = old.get_model("triage", "ErrorGroup").objects.create(
            project=project, fingerprint="f" * 32, algorithm="v2", title="boom", first_seen=NOW, last_seen=NOW)
        Event = old.get_model("triage", "ErrorEvent")
        recent = timezone.now().replace(microsecond=0)
        times = [NOW - dt.timedelta(days=n, hours=n) for n in range(5) for _ in range(3)] + [recent]
        Event.objects.bulk_create(
            Event(project=project, group=group, event_id=f"{i:032x}", stream_id=f"{i}-0", timestamp=t, received_at=t,
                  title="boom", payload=json.dumps({"n": i}), flags={"f": i}, fingerprint="f" * 32)
            for i, t in enumerate(times))
        columns = ["id", "project_id", "group_id", "event_id", "stream_id", "received_at", "payload", "flags"]
        before = sorted(Event.objects.values_list(*columns))

        new = migrate(latest)
        after = sorted(new.get_model("triage", "ErrorEvent").objects.values_list(*columns))
        assert after == before and len(after) == 16
        assert list(new.get_model("triage", "EventId").objects.values_list("event_id", flat=True)) == [f"{15:032x}"]
        if connection.vendor == "postgresql":
            per_day = events_per_day()
            assert {d: n for d, n in per_day.items() if d < recent.date()} == {
                (NOW - dt.timedelta(days=n, hours=n)).date(): 3 for n in range(5)}
            # Workers still on the previous code make no partitions: today's and the next are there.
            ahead = {recent.date() + dt.timedelta(days=n) for n in range(event_partitions.DAYS_AHEAD + 1)}
            assert ahead <= set(partitions.days(event_partitions.TABLE))
        from triage.models import ErrorEvent as Current

        made = Current.objects.create(project_id=project.id, group_id=group.id, event_id="n" * 32, timestamp=recent,
                                      received_at=recent, title="new", payload="{}")
        assert made.id > max(row[0] for row in before)
    finally:
        migrate(latest)


def test_the_periodic_task_makes_partitions_ahead_and_forgets_ids_past_the_window(project):
    from triage import tasks

    digest(project, timezone.now() - dt.timedelta(days=8))
    digest(project, timezone.now())
    tasks.prune_events()
    assert EventId.objects.count() == 1 and ErrorEvent.objects.count() == 2
    if connection.vendor == "postgresql":
        today = timezone.now().astimezone(dt.UTC).date()
        assert {today + dt.timedelta(days=n) for n in range(3)} <= set(partitions.days(event_partitions.TABLE))


@postgres_only
@pytest.mark.django_db(transaction=True)  # committed: the other connection must see the partitions
def test_a_day_is_not_dropped_while_a_long_query_holds_the_table_and_its_rows_wait_for_the_next_run(project, monkeypatch):
    """Waiting behind a long query for DROP's lock would queue every reader and writer behind the
    DROP: it gives up, and no row of the day goes by DELETE meanwhile."""
    import psycopg

    project.retention_events = 1
    project.save()
    for days_ago in (3, 1, 0):  # day 3 goes whole; day 1 by DELETE, but not while day 3 waits
        digest(project, NOW - dt.timedelta(days=days_ago))
    partitions.ensure_ahead(event_partitions.TABLE, NOW.date(), event_partitions.DAYS_AHEAD)  # made before the lock
    monkeypatch.setattr(partitions, "DDL_LOCK_TIMEOUT_MS", 50)
    params = connection.get_connection_params()
    with psycopg.connect(**{k: v for k, v in params.items() if k in ("host", "port", "user", "password", "dbname")}) as other:
        other.execute("SET lock_timeout = '20s'")  # never a hung test
        other.execute("LOCK TABLE triage_errorevent IN ACCESS SHARE MODE")  # what any long read holds
        assert prune_events(default_budget=100, now=NOW) == 0
    assert ErrorEvent.objects.count() == 3
    assert NOW.date() - dt.timedelta(days=3) in partitions.days(event_partitions.TABLE)

    assert prune_events(default_budget=100, now=NOW) == 2  # the lock gone: day 3 whole, then day 1's by DELETE
    assert NOW.date() - dt.timedelta(days=3) not in partitions.days(event_partitions.TABLE)
