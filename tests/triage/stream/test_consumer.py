"""triage.stream.consumer: an outage holds the batch without spending deliveries; an error the
event causes is found one message at a time and never takes the batch with it."""

import pytest
from django import db as django_db

from tests.factories import make_event
from tests.triage.pipeline import consumer, send_events
from triage import stream
from triage.models import ErrorEvent
from triage.stream.consumer import Abandoned
from triage.stream.outage import OUTAGES

pytestmark = pytest.mark.django_db


@pytest.fixture
def fast_backoff(tunables):
    tunables["OUTAGE_BACKOFF_MAX_SECONDS"] = 0.01
    return tunables


def failing(real, times: int, exc=None):
    """`real`, failing its first `times` calls with `exc` (a database outage by default)."""
    calls = {"n": 0}

    def step(*args):
        calls["n"] += 1
        if calls["n"] <= times:
            raise exc or django_db.OperationalError("connection to server failed: Connection refused")
        return real(*args)

    return step


def delivery_counts(redis_client) -> list[int]:
    return [row["times_delivered"] for row in redis_client.xpending_range(stream.EVENTS, stream.GROUP, "-", "+", 100)]


def test_database_outage_on_write_holds_the_batch_and_retries_it_without_spending_deliveries(project, redis_client, fast_backoff):
    send_events(project, [make_event() for _ in range(3)])
    c = consumer(redis_client)
    recorded = []
    flaky = failing(c.handler.write_and_ack, times=3)

    def write_and_ack(*args):
        recorded.append(redis_client.hexists(OUTAGES, c.consumer))
        return flaky(*args)

    c.handler.write_and_ack = write_and_ack
    c.run_once()
    assert ErrorEvent.objects.count() == 3
    assert recorded == [False, True, True, True]  # recorded during the outage only
    assert not redis_client.hexists(OUTAGES, c.consumer)  # and cleared once it ended
    assert redis_client.hlen(stream.ERRORS) == 0  # no message blamed
    assert redis_client.xlen(stream.dead_letter_stream(stream.EVENTS)) == 0
    assert redis_client.xpending(stream.EVENTS, stream.GROUP)["pending"] == 0


def test_database_outage_while_preparing_holds_the_messages(project, redis_client, fast_backoff):
    send_events(project, [make_event() for _ in range(2)])
    c = consumer(redis_client)
    c.handler.prepare = failing(c.handler.prepare, times=4)
    c.run_once()
    assert ErrorEvent.objects.count() == 2
    assert redis_client.hlen(stream.ERRORS) == 0


def test_held_messages_stay_this_consumers_and_keep_their_delivery_count(project, redis_client):
    send_events(project, [make_event()])
    c = consumer(redis_client)
    [(message_id, _)] = stream.read_new(redis_client, stream.EVENTS, c.consumer, 10, 10)
    redis_client.xclaim(stream.EVENTS, stream.GROUP, c.consumer, 0, [message_id], idle=600_000, justid=True)
    stream.hold(redis_client, stream.EVENTS, c.consumer, [message_id])
    [row] = redis_client.xpending_range(stream.EVENTS, stream.GROUP, "-", "+", 10)
    assert row["time_since_delivered"] < 60_000  # not idle enough for anyone to reclaim
    assert row["times_delivered"] == 1


def test_a_worker_stopping_during_an_outage_leaves_the_batch_pending_at_once(project, redis_client, fast_backoff):
    send_events(project, [make_event() for _ in range(2)])
    c = consumer(redis_client)
    c.handler.write_and_ack = failing(c.handler.write_and_ack, times=10**6)
    c.stopping.set()
    entries = stream.read_new(redis_client, stream.EVENTS, c.consumer, 10, 10)
    with pytest.raises(Abandoned):
        c.commit(c.stage(entries))
    assert redis_client.xpending(stream.EVENTS, stream.GROUP)["pending"] == 2
    assert redis_client.hlen(stream.ERRORS) == 0
    assert delivery_counts(redis_client) == [1, 1]


def test_one_bad_event_never_takes_its_batch_with_it(project, redis_client, fast_backoff):
    poison = make_event()
    send_events(project, [make_event(), poison, make_event()])
    c = consumer(redis_client)
    real = c.handler.write_and_ack

    def write_and_ack(redis, name, batch):
        if any(p.message.event_id == poison["event_id"] for p in batch):
            raise django_db.DataError("invalid byte sequence for encoding UTF8")
        return real(redis, name, batch)

    c.handler.write_and_ack = write_and_ack
    c.run_once()
    assert ErrorEvent.objects.count() == 2
    [message_id] = [row["message_id"] for row in redis_client.xpending_range(stream.EVENTS, stream.GROUP, "-", "+", 10)]
    assert b"DataError" in redis_client.hget(stream.ERRORS, message_id)  # counts toward its dead letter


def test_an_outage_during_the_one_by_one_retry_holds_the_rest(project, redis_client, fast_backoff):
    send_events(project, [make_event() for _ in range(3)])
    c = consumer(redis_client)
    # The batch fails for a reason of its own, then the database goes away for two attempts.
    c.handler.write_and_ack = failing(failing(c.handler.write_and_ack, times=2), times=1, exc=django_db.DataError("bad"))
    c.run_once()
    assert ErrorEvent.objects.count() == 3
    assert redis_client.hlen(stream.ERRORS) == 0
