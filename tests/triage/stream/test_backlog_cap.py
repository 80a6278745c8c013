"""The backlog cap counts only what is not yet processed: with a real worker keeping up, ingest
never answers 429 however many events pass through a small cap (acknowledging deletes an entry,
so the stream's length is its backlog; before, processed entries counted until the periodic trim)."""

import urllib.error
import urllib.request

import pytest
import redis

from tests.conftest import delete_own_keys
from tests.factories import envelope, make_event
from tests.live import LiveServer, LiveWorker, wait_for, with_redis_db
from triage import stream
from triage.models import ErrorEvent

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
CAP, BURST, BURSTS = 100, 40, 6  # 240 events through a cap of 100


def post_event(server, project) -> int:
    request = urllib.request.Request(
        f"{server.url}/api/{project.id}/envelope/", data=envelope(make_event()), method="POST",
        headers={"X-Sentry-Auth": f"Sentry sentry_key={project.keys.first().public_key}, sentry_version=7"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_worker_that_keeps_up_never_causes_a_429_under_a_small_cap(project):
    env = with_redis_db(4)
    client = redis.Redis.from_url(env["REDIS_URL"])
    delete_own_keys(client)
    server = LiveServer(SWITCHYARD_STREAM_MAXLEN=CAP, **env)
    worker = LiveWorker("cap", **env)
    statuses, lengths = [], []
    try:
        for _ in range(BURSTS):
            statuses += [post_event(server, project) for _ in range(BURST)]
            accepted = statuses.count(200)
            wait_for(lambda: ErrorEvent.objects.filter(project=project).count() == accepted  # noqa: B023
                     and client.xpending(stream.EVENTS, stream.GROUP)["pending"] == 0, timeout=30, what="the worker")
            lengths.append(client.xlen(stream.EVENTS))
    finally:
        server.stop()
        worker.stop()
        delete_own_keys(client)
    assert statuses == [200] * BURST * BURSTS
    assert lengths == [0] * BURSTS  # caught up: nothing counts against the cap
