"""A real worker whose database is unreachable for longer than MAX_DELIVERIES × CLAIM_IDLE loses
nothing and counts each event once: it holds its batch and retries it when the database is back,
instead of spending the messages' deliveries and dead-lettering every event accepted meanwhile.
(Before the fix this test dead-lettered the events sent during the outage.)"""

import json
import time
from urllib.parse import urlsplit

import pytest
import redis
from django.db import connection
from django.utils import timezone

from bench.tcp_proxy import TcpProxy
from tests.conftest import delete_own_keys
from tests.factories import make_event
from tests.live import LiveWorker, database_url, wait_for, with_redis_db
from triage import health, stream
from triage.grouping import counters
from triage.models import ErrorEvent, ErrorGroup
from triage.stream import IngestMessage

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
MAX_DELIVERIES, CLAIM_IDLE_MS = 2, 300


@pytest.fixture
def database_proxy():
    """The worker's way to PostgreSQL, which the test can cut (a TCP forwarder on 127.0.0.1)."""
    if connection.vendor != "postgresql":
        pytest.skip("a database outage needs a database behind a network connection (CI runs PostgreSQL)")
    target = urlsplit(database_url())
    proxy = TcpProxy(target.hostname, target.port or 5432).start()
    yield proxy
    proxy.stop()


def append_events(client, project, n: int) -> None:
    for _ in range(n):
        event = make_event()
        message = IngestMessage(project.id, event["event_id"], time.time(), json.dumps(event).encode())
        client.xadd(stream.EVENTS, message.to_fields())


def test_database_outage_longer_than_the_delivery_budget_loses_nothing(project, database_proxy):
    env = with_redis_db(3)
    client = redis.Redis.from_url(env["REDIS_URL"])
    delete_own_keys(client)
    worker = LiveWorker("outage", DATABASE_URL=database_proxy.url_for(database_url()), SWITCHYARD_CLAIM_IDLE_MS=CLAIM_IDLE_MS,
                        SWITCHYARD_MAX_DELIVERIES=MAX_DELIVERIES, SWITCHYARD_OUTAGE_BACKOFF_MAX_SECONDS=1,
                        SWITCHYARD_BATCH_SIZE=10, **env)
    log_start = worker.log_path.stat().st_size
    try:
        append_events(client, project, 5)
        wait_for(lambda: ErrorEvent.objects.filter(project=project).count() == 5, timeout=60, what="the first events")
        database_proxy.stop()
        append_events(client, project, 30)
        budget = MAX_DELIVERIES * CLAIM_IDLE_MS / 1000
        # The outage outlasts the delivery budget several times over (the old code lost events at 1×).
        wait_for(lambda: (health.read_health(client, time.time()).outage_age or 0) > 4 * budget,
                 timeout=30, what="an outage recorded for 4 × MAX_DELIVERIES × CLAIM_IDLE")
        assert health.read_health(client, time.time()).problems == ["database unreachable"]
        database_proxy.start()
        wait_for(lambda: client.xpending(stream.EVENTS, stream.GROUP)["pending"] == 0
                 and ErrorEvent.objects.filter(project=project).count() == 35, timeout=60, what="the held events")
        wait_for(lambda: health.read_health(client, time.time()).ok, what="the outage record to clear")
    finally:
        worker.stop()
    assert client.xlen(stream.dead_letter_stream(stream.EVENTS)) == 0
    assert client.hlen(stream.ERRORS) == 0  # no delivery was blamed on an event
    assert ErrorGroup.objects.get(project=project).event_count == 35
    minute = counters.minute_of(timezone.now())
    hot = counters.hot_minute_counts(client, [minute - 120, minute - 60, minute])
    assert sum(sum(c.values()) for c in hot.values()) == 35
    log = worker.log_path.read_bytes()[log_start:].decode(errors="replace")
    assert log.count("database unreachable: consumer") == 1, log[-3000:]
    assert log.count("outage over after") == 1, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
    delete_own_keys(client)
