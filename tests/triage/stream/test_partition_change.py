"""Changing SWITCHYARD_STREAM_PARTITIONS on a running system loses nothing: events ingest put in
four partitions are digested by a worker started with one, which drains the three it no longer
uses and only then deletes them; new events go to the one partition."""

import urllib.request

import pytest
import redis
from django.utils import timezone

from tests.conftest import delete_own_keys
from tests.factories import envelope, make_event, make_project
from tests.live import LiveServer, LiveWorker, wait_for, with_redis_db
from triage import stream
from triage.grouping import counters
from triage.models import ErrorEvent

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
BEFORE, EACH = 4, 5  # partitions before the change; events per project


def post(server, project) -> int:
    request = urllib.request.Request(
        f"{server.url}/api/{project.id}/envelope/", data=envelope(make_event()), method="POST",
        headers={"X-Sentry-Auth": f"Sentry sentry_key={project.keys.first().public_key}, sentry_version=7"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def events_of(partition: int) -> str:
    return stream.in_partition(stream.EVENTS, partition)


def test_a_worker_on_fewer_partitions_drains_the_old_ones_before_retiring_them():
    env = with_redis_db(5)
    client = redis.Redis.from_url(env["REDIS_URL"])
    delete_own_keys(client)
    projects = [make_project(f"n{i}") for i in range(BEFORE)]  # consecutive ids: one per partition
    old = LiveServer(SWITCHYARD_STREAM_PARTITIONS=BEFORE, **env)
    try:
        assert {post(old, project) for project in projects for _ in range(EACH)} == {200}
    finally:
        old.stop()
    assert sorted(client.xlen(events_of(p)) for p in range(BEFORE)) == [EACH] * BEFORE

    worker = LiveWorker("fewer", SWITCHYARD_STREAM_PARTITIONS=1, SWITCHYARD_RETIRE_IDLE_SECONDS=0, **env)
    new = None
    try:
        wait_for(lambda: ErrorEvent.objects.count() == BEFORE * EACH, timeout=60, what="the old partitions drained")
        wait_for(lambda: not any(client.exists(events_of(p)) for p in range(1, BEFORE)), timeout=30,
                 what="the old partitions retired")
        new = LiveServer(SWITCHYARD_STREAM_PARTITIONS=1, **env)
        assert {post(new, project) for project in projects} == {200}
        wait_for(lambda: ErrorEvent.objects.count() == BEFORE * (EACH + 1), timeout=60, what="the new events")
    finally:
        worker.stop()
        if new:
            new.stop()
    assert not any(client.exists(events_of(p)) for p in range(1, BEFORE))  # the new events all went to partition 0
    assert client.xpending(events_of(0), stream.GROUP)["pending"] == 0
    minute = counters.minute_of(timezone.now())
    hot = counters.hot_minute_counts(client, [minute - 60 * i for i in range(5)])
    assert sum(n for counts in hot.values() for n in counts.values()) == BEFORE * (EACH + 1)  # once each
    delete_own_keys(client)
