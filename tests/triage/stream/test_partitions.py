"""Partitioned streams (SWITCHYARD_STREAM_PARTITIONS): ingest sends a project to its partition
(or, for a hot project, by event id), a consumer per partition digests it, and everything read
back (counts, users, quotas, health, dead letters) adds the partitions up. On a real Redis."""

import datetime as dt

import pytest

from projects.models import Project
from tests import asgi
from tests.factories import envelope, make_event, make_project
from tests.triage.pipeline import consumer, drain, send_events
from triage import health, stream
from triage.edge import quotas
from triage.edge.asgi import IngestApp
from triage.edge.partitions import MIN_SAMPLE, PartitionChooser
from triage.grouping import counters
from triage.models import ErrorEvent
from triage.stream import dead_letters
from triage.stream.dead_letters import Selection
from triage.stream.wiring import consumers_to_run

PARTITIONS = 4


async def _not_django(scope, receive, send):
    raise AssertionError("not an ingest path")


@pytest.fixture
def partitioned(tunables):
    tunables["STREAM_PARTITIONS"] = PARTITIONS
    return IngestApp(fallback=_not_django)


def events_of(partition: int) -> str:
    return stream.in_partition(stream.EVENTS, partition)


def test_keys_keep_their_names_in_partition_0_and_get_their_own_tag_in_the_others():
    assert stream.in_partition(stream.EVENTS, 0) == "{switchyard}:stream:events"
    assert stream.in_partition(stream.EVENTS, 3) == "{switchyard:p3}:stream:events"
    assert stream.partition_of("{switchyard:p3}:stream:events") == 3
    assert stream.base_stream("{switchyard:p3}:stream:logs") == stream.LOGS
    assert stream.errors_key("{switchyard:p2}:stream:logs") == "{switchyard:p2}:delivery-errors"
    assert counters.counts_key(60, 5) == "{switchyard:p5}:counts:60"
    assert stream.partition_streams(stream.SESSIONS, 4) == [stream.SESSIONS]  # not partitioned
    assert stream.parse_message_ref(stream.message_ref(b"17-2", 3)) == ("17-2", 3)
    assert stream.message_ref(b"17-2", 0) == "17-2"  # as events stored it before partitions


def test_a_calm_project_sticks_to_its_partition_and_a_hot_one_is_spread_by_event_id():
    chooser = PartitionChooser(PARTITIONS, hot_percent=25)
    for i in range(MIN_SAMPLE):  # ten projects, evenly: none is hot
        assert chooser.choose(i % 10, f"e{i}") == (i % 10 % PARTITIONS, False)
    hot = [chooser.choose(7, f"hot-{i}") for i in range(MIN_SAMPLE)]
    assert all(spread for _, spread in hot[-10:])
    assert {p for p, spread in hot if spread} == set(range(PARTITIONS))
    assert chooser.choose(3, "calm") == (3, False)
    assert PartitionChooser(1, 25).choose(7, "x") == (0, False)


@pytest.mark.django_db
def test_each_project_goes_to_its_partition_and_every_event_is_digested_and_counted_once(partitioned, redis_client):
    projects = [make_project(f"p{i}") for i in range(3)]
    for project in projects:
        send_events(project, [make_event() for _ in range(2)], partitioned)
    expected = {}
    for project in projects:
        expected[project.id % PARTITIONS] = expected.get(project.id % PARTITIONS, 0) + 2
    assert {p: redis_client.xlen(events_of(p)) for p in range(PARTITIONS) if redis_client.xlen(events_of(p))} == expected
    assert health.read_health(redis_client, 0).streams[0].backlog == 6  # added up over the partitions

    digested = sum(drain(redis_client, events_of(p)) for p in range(PARTITIONS))

    assert digested == 6 and ErrorEvent.objects.count() == 6
    for project in projects:
        p = project.id % PARTITIONS
        refs = list(ErrorEvent.objects.filter(project=project).values_list("stream_id", flat=True))
        assert all(stream.parse_message_ref(ref)[1] == p for ref in refs)
    minute = counters.minute_of(dt.datetime.now(dt.UTC))
    hot = counters.hot_minute_counts(redis_client, [minute, minute - 60])
    assert sum(n for counts in hot.values() for n in counts.values()) == 6
    state = health.read_health(redis_client, 0)
    assert (state.streams[0].backlog, state.streams[0].pending) == (0, 0)
    assert state.streams[0].last_digest_age is not None


@pytest.mark.django_db
def test_a_project_quota_stays_exact_across_partitions_and_its_usage_adds_them_up(partitioned, project, redis_client):
    Project.objects.filter(pk=project.pk).update(event_quota_minute=3)
    key = project.keys.first()
    statuses = [asgi.post(partitioned, f"/api/{project.id}/envelope/", envelope(make_event()),
                          {"X-Sentry-Auth": f"Sentry sentry_key={key.public_key}"}).status for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert quotas.usage(redis_client, project.id, dt.datetime.now(dt.UTC))["minute"] == 3
    assert redis_client.xlen(events_of(project.id % PARTITIONS)) == 3


def test_a_spread_quota_is_shared_out_between_the_partitions():
    now = dt.datetime.now(dt.UTC)
    message = stream.IngestMessage(5, "e", 0.0, b"{}")
    limits = quotas.Limits(minute=10)
    keys, args = quotas.append_event(events_of(2), message, 100, limits, limits, now, partitions=4, spread=True)
    assert all(stream.partition_of(k) == 2 for k in keys)  # one slot: the script stays atomic
    assert args[2] == 3  # the project's minute quota: a quarter of 10, rounded up
    assert args[2 + 3 * 3] == 3  # the installation's too
    keys, args = quotas.append_event(events_of(2), message, 100, limits, limits, now, partitions=4, spread=False)
    assert args[2] == 10  # a project in one partition keeps its whole quota


@pytest.mark.django_db
def test_users_affected_is_the_union_over_the_partitions(tunables, redis_client):
    tunables["STREAM_PARTITIONS"] = 3
    redis_client.pfadd(counters.users_key(42, 0), "ann", "bob")
    redis_client.pfadd(counters.users_key(42, 2), "bob", "cyd")
    redis_client.pfadd(counters.users_key(43, 1), "dee")
    assert counters.users_affected(redis_client, [42, 43, 44]) == {42: 3, 43: 1, 44: 0}
    assert not list(redis_client.scan_iter(match="*scratch*"))  # the copies are gone


@pytest.mark.django_db
def test_dead_letters_of_every_partition_are_listed_counted_and_replayed_to_their_own(partitioned, redis_client):
    project = make_project("dl")
    name = events_of(project.id % PARTITIONS)
    send_events(project, [make_event()], partitioned)
    c = consumer(redis_client, stream_name=name)
    [(message_id, fields)] = stream.read_new(redis_client, name, c.consumer, 10, 10)
    stream.dead_letter(redis_client, name, message_id, fields, "poison")
    [letter] = dead_letters.list_dead_letters(redis_client, Selection())
    partition = project.id % PARTITIONS
    assert letter.stream == "events"
    assert letter.id.endswith(f"@{partition}") if partition else "@" not in letter.id
    assert dead_letters.count_dead_letters(redis_client)["events"] == 1
    assert health.read_health(redis_client, 0).streams[0].dead_letters == 1

    assert dead_letters.replay_dead_letters(redis_client, Selection.parse(ids=[letter.id])) == 1
    assert redis_client.xlen(name) == 1  # back on its own partition
    drain(redis_client, name)
    assert ErrorEvent.objects.count() == 1


@pytest.mark.django_db
def test_a_lower_setting_keeps_consuming_the_old_partitions_until_they_are_drained_and_retired(tunables, redis_client):
    tunables["STREAM_PARTITIONS"] = PARTITIONS
    app = IngestApp(fallback=_not_django)
    projects = [make_project(f"q{i}") for i in range(PARTITIONS)]  # consecutive ids: every partition
    for project in projects:
        send_events(project, [make_event()], app)
    assert stream.register_partitions(redis_client, PARTITIONS) == PARTITIONS

    tunables["STREAM_PARTITIONS"] = 1
    tunables["RETIRE_IDLE_SECONDS"] = 0
    assert stream.register_partitions(redis_client, 1) == PARTITIONS  # the leftovers hold events
    plan = consumers_to_run(stream.known_partitions(redis_client), 1)
    retiring = sorted(p for name, p, old in plan if old and name.endswith(":events"))
    assert retiring == [1, 2, 3]
    for p in range(PARTITIONS):
        c = consumer(redis_client, stream_name=events_of(p))
        c.retiring = p >= 1
        while c.run_once(now=0.0):  # the last turn finds it empty: a retiring consumer deletes it and stops
            pass
        assert c.stopping.is_set() == (p >= 1)

    assert ErrorEvent.objects.count() == PARTITIONS
    assert [redis_client.exists(events_of(p)) for p in range(PARTITIONS)] == [1, 0, 0, 0]
    minute = counters.minute_of(dt.datetime.now(dt.UTC))
    hot = counters.hot_minute_counts(redis_client, [minute, minute - 60])
    assert sum(n for counts in hot.values() for n in counts.values()) == PARTITIONS  # still read from the old ones
    for p in range(1, PARTITIONS):  # once their stamps have expired, as their counters have
        redis_client.delete(stream.health_key(p))
    assert stream.register_partitions(redis_client, 1) == 1


@pytest.mark.django_db
def test_an_unmerge_marks_or_moves_each_event_in_its_own_partition(tunables, redis_client):
    from triage.grouping import count_moves

    tunables["STREAM_PARTITIONS"] = 3
    minute = counters.minute_of(dt.datetime.now(dt.UTC))
    waiting = redis_client.xadd(events_of(2), {"v": 1})  # not acknowledged yet, in partition 2
    redis_client.hset(counters.counts_key(minute, 0), 10, 1)  # an acknowledged one, counted in partition 0
    count_moves._run_split(redis_client, 1, 0, 10, 11, [(stream.message_ref(waiting, 2), minute), ("5-0", minute)])
    assert redis_client.hget(counters.moved_events_key(2), waiting) == b"11"
    assert not redis_client.exists(counters.moved_events_key(0))
    assert redis_client.hgetall(counters.counts_key(minute, 0)) == {b"10": b"0", b"11": b"1"}


@pytest.mark.django_db
def test_a_merge_moves_the_counts_and_users_of_every_partition(tunables, redis_client):
    from triage.grouping import count_moves

    tunables["STREAM_PARTITIONS"] = 2
    minute = counters.minute_of(dt.datetime.now(dt.UTC))
    for p in (0, 1):
        redis_client.hset(counters.counts_key(minute, p), 20, 2)
        redis_client.pfadd(counters.users_key(20, p), f"u{p}")
    count_moves._run_merge(redis_client, 2, 21, [20], [minute])
    assert counters.hot_minute_counts(redis_client, [minute]) == {minute: {21: 4}}
    assert counters.users_affected(redis_client, [21]) == {21: 2}
    assert all(redis_client.hget(counters.group_redirects_key(p), 20) == b"21" for p in (0, 1))


def test_log_consumer_threads_are_shared_out_between_the_log_partitions():
    from triage.stream.wiring import consumer_options

    options = {"LOG_BATCH_SIZE": 50, "LOG_CONSUMER_THREADS": 2, "BATCH_SIZE": 1000, "CONSUMER_THREADS": 1}
    assert consumer_options(stream.LOGS, options)["CONSUMER_THREADS"] == 2
    assert consumer_options(stream.in_partition(stream.LOGS, 3), options, partitions=4)["CONSUMER_THREADS"] == 1
    assert consumer_options(stream.in_partition(stream.EVENTS, 3), options, partitions=4)["CONSUMER_THREADS"] == 1
