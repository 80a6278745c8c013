"""triage.health: backlog, pending and dead letters per stream; ages of the last digest and
roll-up; outages; "ok" or "degraded"."""

import json
import time

import pytest

from tests.factories import make_event
from tests.triage.pipeline import consumer, drain, send_events
from triage import health, stream, tasks
from triage.stream.outage import OUTAGES

pytestmark = pytest.mark.django_db
NOW = 1_800_000_000.0


def streams(report) -> dict:
    return report.as_json()["streams"]


def test_an_idle_pipeline_is_ok_with_nothing_waiting(redis_client):
    report = health.read_health(redis_client, NOW)
    assert report.ok
    assert report.as_json() == {
        "status": "ok", "problems": [],
        "streams": {name: {"backlog": 0, "pending": 0, "dead_letters": 0, "oldest_age_seconds": None,
                           "last_digest_age_seconds": None} for name in ("events", "logs", "sessions")},
        "last_roll_up_age_seconds": None,
        "outage": {"active": False, "age_seconds": None, "consumers": 0},
    }


def test_backlog_is_what_no_consumer_has_read_and_pending_what_one_holds(project, redis_client):
    send_events(project, [make_event() for _ in range(5)])
    c = consumer(redis_client)
    stream.read_new(redis_client, stream.EVENTS, c.consumer, 2, 10)
    redis_client.xadd(stream.dead_letter_stream(stream.EVENTS), {"reason": "x"})
    events = streams(health.read_health(redis_client, time.time()))["events"]
    assert (events["backlog"], events["pending"], events["dead_letters"]) == (3, 2, 1)


def test_a_digest_is_stamped_and_clears_the_backlog(project, redis_client):
    send_events(project, [make_event() for _ in range(3)])
    drain(redis_client)
    events = streams(health.read_health(redis_client, time.time() + 10))["events"]
    assert (events["backlog"], events["pending"], events["oldest_age_seconds"]) == (0, 0, None)
    assert 10 <= events["last_digest_age_seconds"] < 60


def test_the_roll_up_task_stamps_its_time(redis_client):
    tasks.roll_up_counts()
    age = health.read_health(redis_client, time.time() + 5).last_roll_up_age
    assert 5 <= age < 60


def test_a_late_roll_up_degrades(redis_client):
    health.record_roll_up(redis_client, NOW - health.ROLL_UP_LATE_SECONDS - 1)
    assert health.read_health(redis_client, NOW).problems == ["roll-up late"]


def test_work_waiting_long_with_no_digest_is_a_stall(redis_client):
    redis_client.xadd(stream.EVENTS, {"v": "1"}, id=f"{int((NOW - 300) * 1000)}-0")
    assert health.read_health(redis_client, NOW).problems == ["events stalled"]
    redis_client.hset(stream.HEALTH, f"digest:{stream.EVENTS}", repr(NOW - 1))  # busy on a long backlog
    assert health.read_health(redis_client, NOW).ok


def test_a_live_outage_degrades_and_a_stale_one_is_ignored(redis_client):
    redis_client.hset(OUTAGES, "a:1:0", json.dumps({"since": NOW - 40, "seen": NOW - 5, "stream": "e", "kind": "database"}))
    redis_client.hset(OUTAGES, "b:2:0", json.dumps({"since": NOW - 900, "seen": NOW - 800, "stream": "e", "kind": "redis"}))
    report = health.read_health(redis_client, NOW, outage_stale_seconds=120)
    assert report.problems == ["database unreachable"]
    assert report.as_json()["outage"] == {"active": True, "age_seconds": 40.0, "consumers": 1}
    assert report.summary() == "Pipeline degraded: database unreachable · backlog 0 · dead letters 0"


def test_an_unreachable_redis_is_reported_not_raised():
    import redis

    unreachable = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    report = health.read_health(unreachable, NOW)
    assert (report.ok, report.problems) == (False, ["redis unreachable"])
