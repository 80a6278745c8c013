"""A real worker killed between its database commit and its acknowledgement loses no event and
counts none twice: a second worker reclaims the messages and the stream's Lua ack counts them once."""

import json
import time

import pytest
import redis
from django.utils import timezone

from tests.conftest import delete_own_keys
from tests.factories import make_event
from tests.live import LiveWorker, wait_for, with_redis_db
from triage import stream
from triage.grouping import counters
from triage.models import ErrorEvent, ErrorGroup
from triage.stream import IngestMessage

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
EVENTS = 40


def test_worker_killed_after_commit_before_ack_loses_nothing_and_counts_nothing_twice(project):
    env = with_redis_db(2)
    client = redis.Redis.from_url(env["REDIS_URL"])
    delete_own_keys(client)  # never FLUSHDB: another run's worker may share this database
    stream.ensure_group(client, stream.EVENTS)
    for _ in range(EVENTS):
        event = make_event()
        message = IngestMessage(project.id, event["event_id"], time.time(), json.dumps(event).encode())
        client.xadd(stream.EVENTS, message.to_fields())

    doomed = LiveWorker("doomed", SWITCHYARD_FAULT="after-commit", **env)
    assert doomed.wait_exit(timeout=60) == 99, doomed.tail()
    assert ErrorEvent.objects.filter(project=project).count() == EVENTS  # committed…
    assert client.xpending(stream.EVENTS, stream.GROUP)["pending"] == EVENTS  # …never acknowledged

    survivor = LiveWorker("survivor", **env)
    try:
        wait_for(lambda: client.xpending(stream.EVENTS, stream.GROUP)["pending"] == 0, timeout=60, what="the reclaim")
    finally:
        survivor.stop()
    assert ErrorEvent.objects.filter(project=project).count() == EVENTS
    assert ErrorGroup.objects.get(project=project).event_count == EVENTS
    minute = counters.minute_of(timezone.now())
    hot = counters.hot_minute_counts(client, [minute - 120, minute - 60, minute])
    assert sum(sum(c.values()) for c in hot.values()) == EVENTS
    delete_own_keys(client)
