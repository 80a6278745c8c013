"""triage.digest.sessions: `session` and `sessions` items → release health, counted once."""

import datetime as dt
import json
import time

import pytest
from django.utils import timezone

from tests import asgi
from tests.triage.pipeline import drain
from triage import stream
from triage.digest.sessions import digest_sessions, prepare_sessions
from triage.edge.asgi import IngestApp
from triage.models import Release, ReleaseHealthMinute, SessionMessage, SessionUser, TrackedSession
from triage.release_health import release_health
from triage.stream import IngestMessage

pytestmark = pytest.mark.django_db


def minute_ago(n: int = 1) -> str:
    return (timezone.now() - dt.timedelta(minutes=n)).replace(second=0, microsecond=0).isoformat()


def session(sid="0b6c2b9f-4d39-4b43-9d8a-4d2b0f3b1a01", status="exited", errors=0, did="u-17", release="shop@1.4.0", **extra):
    item = {"sid": sid, "init": True, "started": minute_ago(3), "status": status, "errors": errors,
            "attrs": {"release": release, "environment": "production"}, **extra}
    if did is not None:
        item["did"] = did
    return item


def aggregate(*entries, release="shop@1.4.0", environment="production"):
    return {"attrs": {"release": release, "environment": environment}, "aggregates": list(entries)}


def send(project, *items: tuple[str, dict]):
    """One envelope of release-health items through ingest, as sentry-sdk's flusher sends them."""
    lines = [b"{}"]
    for kind, payload in items:
        body = json.dumps(payload).encode()
        lines += [json.dumps({"type": kind, "length": len(body)}).encode(), body]
    key = project.keys.first()
    response = asgi.post(IngestApp(fallback=None), f"/api/{project.id}/envelope/", b"\n".join(lines) + b"\n",
                         {"X-Sentry-Auth": f"Sentry sentry_key={key.public_key}, sentry_version=7"})
    assert response.status == 200, response.body
    return response


def health(project, version="shop@1.4.0"):
    release = Release.objects.get(project=project, version=version)
    return release_health([release.id])[release.id]


def test_aggregates_count_per_release_environment_and_minute(project, redis_client):
    started = minute_ago(2)
    send(project, ("sessions", aggregate({"started": started, "exited": 90, "errored": 5, "crashed": 3, "abnormal": 2})),
         ("sessions", aggregate({"started": started, "exited": 10, "crashed": 1}, release="shop@1.5.0")),
         ("sessions", aggregate({"started": started, "exited": 7}, environment="staging")))
    drain(redis_client, stream.SESSIONS)
    rows = ReleaseHealthMinute.objects.order_by("release__version", "environment").values_list(
        "release__version", "environment", "sessions", "errored", "crashed", "abnormal")
    assert list(rows) == [("shop@1.4.0", "production", 100, 5, 3, 2), ("shop@1.4.0", "staging", 7, 0, 0, 0),
                          ("shop@1.5.0", "production", 11, 0, 1, 0)]
    assert ReleaseHealthMinute.objects.filter(minute=dt.datetime.fromisoformat(started)).count() == 3
    report = health(project)
    assert (report.sessions, report.crashed, report.healthy) == (107, 3, 97)
    assert report.crash_free_sessions == pytest.approx(100 * 104 / 107)
    assert report.crash_free_users is None  # web-request aggregates carry no user


def test_a_session_updated_until_it_crashes_counts_once_as_crashed(project, redis_client):
    send(project, ("session", session(status="ok")))
    drain(redis_client, stream.SESSIONS)
    send(project, ("session", session(status="ok", errors=1)), ("session", session(status="crashed", errors=2)))
    drain(redis_client, stream.SESSIONS)
    send(project, ("session", session(status="ok", errors=1)))  # an older update, late: crashed stays crashed
    drain(redis_client, stream.SESSIONS)
    row = ReleaseHealthMinute.objects.get()
    assert (row.sessions, row.errored, row.crashed, row.abnormal) == (1, 0, 1, 0)
    assert TrackedSession.objects.get().outcome == "crashed"
    report = health(project)
    assert (report.users, report.crashed_users, report.crash_free_users) == (1, 1, 0.0)


def test_crash_free_users_count_each_user_once_whatever_their_sessions(project, redis_client):
    items = [session(sid=f"00000000-0000-0000-0000-00000000000{i}", did=did, status=status)
             for i, (did, status) in enumerate([("ann", "exited"), ("ann", "crashed"), ("bob", "exited"), ("bob", "exited"),
                                                ("cid", "exited"), ("dan", "abnormal")])]
    send(project, *[("session", item) for item in items])
    drain(redis_client, stream.SESSIONS)
    report = health(project)
    assert (report.sessions, report.crashed, report.abnormal, report.users, report.crashed_users) == (6, 1, 1, 4, 1)
    assert report.crash_free_users == 75.0
    assert report.crash_free_sessions == pytest.approx(100 * 5 / 6)
    assert "ann" not in set(SessionUser.objects.values_list("distinct_id", flat=True))  # kept hashed


def test_a_message_digested_twice_counts_once(project):
    payload = json.dumps(aggregate({"started": minute_ago(), "exited": 4, "crashed": 1})).encode()
    message = IngestMessage(project.id, "c" * 32, time.time(), payload)
    prepared = prepare_sessions(b"1-0", message)
    assert digest_sessions([prepared], timezone.now()) == 1
    redelivered = prepare_sessions(b"1-0", message)  # the worker died after its commit, before the ack
    replayed = prepare_sessions(b"9-0", message)  # the same message replayed from the dead letters
    assert digest_sessions([redelivered, replayed], timezone.now()) == 0
    row = ReleaseHealthMinute.objects.get()
    assert (row.sessions, row.crashed) == (5, 1)
    assert SessionMessage.objects.count() == 1


def test_a_session_without_a_sid_is_one_whole_session(project, redis_client):
    send(project, ("session", session(sid=None, status="exited")), ("session", session(sid=None, status="crashed")))
    drain(redis_client, stream.SESSIONS)
    row = ReleaseHealthMinute.objects.get()
    assert (row.sessions, row.crashed) == (2, 1)
    assert not TrackedSession.objects.exists()


def test_sessions_past_the_five_day_update_window_count_nothing(project, redis_client):
    old = (timezone.now() - dt.timedelta(days=6)).isoformat()
    send(project, ("session", session(started=old)), ("sessions", aggregate({"started": old, "exited": 3})))
    assert drain(redis_client, stream.SESSIONS) == 2
    assert not ReleaseHealthMinute.objects.exists()
    assert redis_client.xpending(stream.SESSIONS, stream.GROUP)["pending"] == 0


def test_a_session_without_a_release_is_dead_lettered_with_the_reason(project, redis_client):
    send(project, ("session", {"sid": "x", "started": minute_ago(), "status": "exited"}), ("sessions", aggregate({"started": minute_ago(), "exited": 1})))
    drain(redis_client, stream.SESSIONS)
    [(_, dead)] = redis_client.xrange(stream.dead_letter_stream(stream.SESSIONS))
    assert b"attrs.release" in dead[b"reason"]
    assert ReleaseHealthMinute.objects.get().sessions == 1  # the message beside it is counted
    # The stream is bounded in bytes too: what was digested and what was dead-lettered both gave theirs back.
    assert int(redis_client.get(stream.bytes_key(stream.SESSIONS))) == 0


def test_the_sessions_stream_refuses_past_its_byte_cap_with_a_rate_limit(project, redis_client, settings):
    settings.SWITCHYARD = {**settings.SWITCHYARD, "LOG_STREAM_MAX_BYTES": 1024 * 1024}
    redis_client.set(stream.bytes_key(stream.SESSIONS), 1024 * 1024)  # a backlog of sessions waiting
    lines = [b"{}", json.dumps({"type": "sessions"}).encode(), json.dumps(aggregate({"started": minute_ago(), "exited": 1})).encode()]
    key = project.keys.first()
    response = asgi.post(IngestApp(fallback=None), f"/api/{project.id}/envelope/", b"\n".join(lines) + b"\n",
                         {"X-Sentry-Auth": f"Sentry sentry_key={key.public_key}, sentry_version=7"})
    assert response.status == 429
    assert redis_client.xlen(stream.SESSIONS) == 0


def test_sessions_make_their_release_known(project, redis_client):
    send(project, ("sessions", aggregate({"started": minute_ago(), "exited": 2}, release="shop@2.0.0")))
    drain(redis_client, stream.SESSIONS)
    assert Release.objects.filter(project=project, version="shop@2.0.0").exists()


def test_odd_counts_and_entries_are_ignored_not_fatal(project, redis_client):
    payload = aggregate({"started": minute_ago(), "exited": "12", "crashed": -4, "errored": True}, "nonsense",
                        {"started": minute_ago(), "exited": 3, "abnormal": 10**12})
    send(project, ("sessions", payload))
    drain(redis_client, stream.SESSIONS)
    row = ReleaseHealthMinute.objects.get()
    assert (row.sessions, row.abnormal) == (3 + 1_000_000, 1_000_000)
