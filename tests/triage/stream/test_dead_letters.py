"""triage.stream.dead_letters: list, replay and purge, one, by filter, or all."""

import pytest

from tests.factories import make_event
from tests.triage.pipeline import consumer, drain, send_events
from triage import stream
from triage.models import ErrorEvent
from triage.stream import dead_letters
from triage.stream.dead_letters import Selection

pytestmark = pytest.mark.django_db
DEAD = stream.dead_letter_stream(stream.EVENTS)


def dead_letter(redis_client, project, reason: str) -> tuple[bytes, dict]:
    """Sends an event and dead-letters it with `reason` as the consumer would; returns its id and fields."""
    send_events(project, [make_event()])
    c = consumer(redis_client)
    [(message_id, fields)] = stream.read_new(redis_client, stream.EVENTS, c.consumer, 10, 10)
    stream.dead_letter(redis_client, stream.EVENTS, message_id, fields, reason)
    return message_id, fields


def test_replay_puts_the_message_back_as_sent_and_it_is_digested(project, redis_client):
    _, fields = dead_letter(redis_client, project, "failed 5 deliveries: OperationalError")
    assert dead_letters.replay_dead_letters(redis_client, Selection()) == 1
    [(_, replayed)] = redis_client.xrange(stream.EVENTS)
    assert replayed == fields  # the same fields, without reason, original id or date
    assert redis_client.xlen(DEAD) == 0
    drain(redis_client)
    assert ErrorEvent.objects.count() == 1


def test_a_failed_replay_keeps_the_dead_letter(project, redis_client):
    dead_letter(redis_client, project, "boom")
    redis_client.delete(stream.EVENTS)
    redis_client.set(stream.EVENTS, "not a stream")  # XADD fails with WRONGTYPE
    with pytest.raises(Exception, match="WRONGTYPE"):
        dead_letters.replay_dead_letters(redis_client, Selection())
    assert redis_client.xlen(DEAD) == 1


def test_replay_and_purge_by_project_reason_or_id_touch_only_those(project, redis_client):
    from tests.factories import make_project

    other = make_project("other")
    dead_letter(redis_client, project, "undeliverable: payload is not valid JSON")
    dead_letter(redis_client, project, "failed 5 deliveries: DataError")
    dead_letter(redis_client, other, "failed 5 deliveries: DataError")
    by_reason = Selection.parse(reason="datAerror")
    assert len(dead_letters.list_dead_letters(redis_client, by_reason)) == 2
    assert dead_letters.replay_dead_letters(redis_client, Selection.parse(project=other.id, reason="DataError")) == 1
    [left] = [d for d in dead_letters.list_dead_letters(redis_client, Selection()) if "JSON" in d.reason]
    assert dead_letters.purge_dead_letters(redis_client, Selection.parse("events", ids=[left.id])) == 1
    remaining = dead_letters.list_dead_letters(redis_client, Selection())
    assert [(d.project, d.reason) for d in remaining] == [(str(project.id), "failed 5 deliveries: DataError")]
    assert dead_letters.count_dead_letters(redis_client) == {"events": 1, "logs": 0, "sessions": 0}


def test_purging_everything_scans_past_one_page(project, redis_client, monkeypatch):
    monkeypatch.setattr(dead_letters, "PAGE", 2)
    for i in range(5):
        redis_client.xadd(DEAD, {"project": str(project.id), "reason": f"r{i}", "payload": b"{}"})
    assert [d.reason for d in dead_letters.list_dead_letters(redis_client, Selection(), limit=3)] == ["r4", "r3", "r2"]
    assert dead_letters.purge_dead_letters(redis_client, Selection()) == 5
    assert redis_client.xlen(DEAD) == 0


@pytest.mark.parametrize("args", [{"stream_name": "nope"}, {"ids": ["1-0; drop"]}, {"project": "x"}])
def test_a_bad_selection_is_refused(args):
    with pytest.raises(ValueError):
        Selection.parse(**args)
