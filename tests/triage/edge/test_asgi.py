"""POST /api/<project>/envelope/ through the ASGI ingest app, against a real Redis."""

import gzip
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import asgi
from tests.factories import envelope, make_event, make_project
from triage import stream
from triage.edge.asgi import IngestApp
from triage.edge.keys import add_key, revoke_key

pytestmark = pytest.mark.django_db


async def not_found(scope, receive, send):
    raise AssertionError("ingest paths must not reach Django")


@pytest.fixture
def app(tunables):
    return IngestApp(fallback=not_found)


def auth(key) -> dict:
    return {"X-Sentry-Auth": f"Sentry sentry_key={key.public_key}, sentry_version=7, sentry_client=sentry.python/2.75.0"}


def events_in_stream(redis_client):
    return [stream.IngestMessage.from_fields(f) for _, f in redis_client.xrange(stream.EVENTS)]


def test_accepts_gzipped_envelope_and_answers_with_event_id(app, project, redis_client):
    event = make_event()
    key = project.keys.first()
    response = asgi.post(app, f"/api/{project.id}/envelope/", gzip.compress(envelope(event)), {**auth(key), "Content-Encoding": "gzip"})
    assert response.status == 200
    assert response.json() == {"id": event["event_id"]}
    [message] = events_in_stream(redis_client)
    assert (message.project_id, message.event_id) == (project.id, event["event_id"])
    assert json.loads(message.payload)["release"] == "shop@1.4.0"


def test_request_path_writes_nothing_to_the_database(app, project, redis_client):
    key = project.keys.first()
    asgi.post(app, f"/api/{project.id}/envelope/", envelope(make_event()), auth(key))  # warms the key cache
    with CaptureQueriesContext(connection) as queries:
        response = asgi.post(app, f"/api/{project.id}/envelope/", envelope(make_event()), auth(key))
    assert response.status == 200
    assert not [q for q in queries.captured_queries if not q["sql"].lstrip().upper().startswith("SELECT")]


def test_accepts_key_from_query_string_and_from_envelope_dsn(app, project, redis_client):
    key = project.keys.first()
    by_query = asgi.post(app, f"/api/{project.id}/envelope/", envelope(make_event()), query=f"sentry_key={key.public_key}&sentry_version=7")
    event = make_event()
    header = {"event_id": event["event_id"], "dsn": key.dsn()}
    by_dsn = asgi.post(app, f"/api/{project.id}/envelope/", envelope(event, header=header))
    assert (by_query.status, by_dsn.status) == (200, 200)
    assert len(events_in_stream(redis_client)) == 2


def test_accepts_dsn_path_prefix(app, project, redis_client):
    response = asgi.post(app, f"/sentry/api/{project.id}/envelope/", envelope(make_event()), auth(project.keys.first()))
    assert response.status == 200


def test_missing_key_is_401_and_writes_nothing(app, project, redis_client):
    response = asgi.post(app, f"/api/{project.id}/envelope/", envelope(make_event()))
    assert response.status == 401
    assert events_in_stream(redis_client) == []


def test_unknown_key_is_401(app, project, redis_client):
    response = asgi.post(app, f"/api/{project.id}/envelope/", envelope(make_event()), {"X-Sentry-Auth": "Sentry sentry_key=" + "0" * 32})
    assert response.status == 401
    assert events_in_stream(redis_client) == []


def test_key_of_another_project_is_403(app, project, redis_client):
    other = make_project("billing")
    response = asgi.post(app, f"/api/{project.id}/envelope/", envelope(make_event()), auth(other.keys.first()))
    assert response.status == 403
    assert events_in_stream(redis_client) == []


def test_revoked_key_is_refused_once_its_cache_entry_expires(app, project, redis_client, django_capture_on_commit_callbacks):
    key = add_key(project, "ci")
    assert asgi.post(app, f"/api/{project.id}/envelope/", envelope(make_event()), auth(key)).status == 200
    with django_capture_on_commit_callbacks(execute=True):
        revoke_key(key)
    app.keys.forget()  # what one second of KEY_CACHE_SECONDS does in production
    assert asgi.post(app, f"/api/{project.id}/envelope/", envelope(make_event()), auth(key)).status == 401
    assert len(events_in_stream(redis_client)) == 1


@pytest.mark.parametrize(
    "body,status",
    [
        (b"garbage", 400),
        (b'{}\n{"type":"event","length":9}\n{invalid}\n', 400),
        (b'{}\n{"type":"event","length":2}\n[]\n', 400),
    ],
)
def test_malformed_envelopes_get_400_and_write_nothing(app, project, redis_client, body, status):
    response = asgi.post(app, f"/api/{project.id}/envelope/", body, auth(project.keys.first()))
    assert response.status == status
    assert "detail" in response.json()
    assert events_in_stream(redis_client) == []


def test_oversized_body_is_413(app, project, redis_client, tunables):
    tunables["MAX_COMPRESSED_BYTES"] = 2_000
    body = envelope(make_event(extra={"blob": "x" * 5_000}))
    response = asgi.post(app, f"/api/{project.id}/envelope/", body, {**auth(project.keys.first()), "Content-Length": str(len(body))})
    assert response.status == 413
    assert events_in_stream(redis_client) == []


def test_gzip_bomb_is_413_and_writes_nothing(app, project, redis_client, tunables):
    tunables["MAX_DECOMPRESSED_BYTES"] = 1_000_000
    bomb = gzip.compress(b'{}\n{"type":"event"}\n{"x":"' + b"A" * 30_000_000 + b'"}\n')
    response = asgi.post(app, f"/api/{project.id}/envelope/", bomb, {**auth(project.keys.first()), "Content-Encoding": "gzip"})
    assert response.status == 413
    assert events_in_stream(redis_client) == []


def test_full_stream_answers_429_with_retry_after_and_sentry_rate_limits(app, project, redis_client, tunables):
    tunables["STREAM_MAXLEN"] = 100
    for _ in range(100):
        redis_client.xadd(stream.EVENTS, {"filler": "1"})
    response = asgi.post(app, f"/api/{project.id}/envelope/", envelope(make_event()), auth(project.keys.first()))
    assert response.status == 429
    assert response.headers["retry-after"] == str(tunables["RETRY_AFTER_SECONDS"])
    assert response.headers["x-sentry-rate-limits"] == f"{tunables['RETRY_AFTER_SECONDS']}:error;default:project:backlog"
    assert redis_client.xlen(stream.EVENTS) == 100


def test_logs_and_sessions_go_to_their_own_streams_and_other_items_are_dropped(app, project, redis_client):
    logs = json.dumps({"version": 2, "items": [{"timestamp": 1795803347.0, "level": "error", "body": "timeout"}]}).encode()
    extra = [({"type": "log", "item_count": 1, "length": len(logs)}, logs), ({"type": "sessions"}, b'{"aggregates": []}'),
             ({"type": "client_report"}, b'{"discarded_events": []}')]
    response = asgi.post(app, f"/api/{project.id}/envelope/", envelope(make_event(), extra), auth(project.keys.first()))
    assert response.status == 200
    assert redis_client.xlen(stream.EVENTS) == 1
    assert redis_client.xlen(stream.LOGS) == 1
    assert redis_client.xlen(stream.SESSIONS) == 1


def test_a_full_sessions_stream_refuses_sessions_only_with_their_category(app, project, redis_client, tunables):
    tunables["STREAM_MAXLEN"] = 10
    for _ in range(10):
        redis_client.xadd(stream.SESSIONS, {"filler": "1"})
    sessions = [({"type": "sessions"}, b'{"aggregates": []}')]
    with_event = asgi.post(app, f"/api/{project.id}/envelope/", envelope(make_event(), sessions), auth(project.keys.first()))
    assert with_event.status == 200  # the event went through
    assert with_event.headers["x-sentry-rate-limits"] == f"{tunables['RETRY_AFTER_SECONDS']}:session:project:backlog"
    alone = asgi.post(app, f"/api/{project.id}/envelope/", b'{}\n{"type":"sessions"}\n{"aggregates": []}\n',
                      auth(project.keys.first()))
    assert alone.status == 429
    assert redis_client.xlen(stream.SESSIONS) == 10


def test_sessions_need_a_key_like_events(app, project, redis_client):
    response = asgi.post(app, f"/api/{project.id}/envelope/", b'{}\n{"type":"sessions"}\n{"aggregates": []}\n')
    assert response.status == 401
    assert redis_client.xlen(stream.SESSIONS) == 0


def test_release_and_environment_stay_as_the_event_says(app, project, redis_client):
    event = make_event(release="web@2.0.0")
    header = {"event_id": event["event_id"], "trace": {"release": "frontend@9", "environment": "staging"}}
    asgi.post(app, f"/api/{project.id}/envelope/", envelope(event, header=header), auth(project.keys.first()))
    [message] = events_in_stream(redis_client)
    assert json.loads(message.payload)["release"] == "web@2.0.0"


def test_store_endpoint_accepts_a_single_event(app, project, redis_client):
    event = make_event()
    response = asgi.post(app, f"/api/{project.id}/store/", json.dumps(event).encode(), auth(project.keys.first()))
    assert (response.status, response.json()) == (200, {"id": event["event_id"]})
    assert len(events_in_stream(redis_client)) == 1


def test_get_is_405_and_options_answers_cors(app, project):
    assert asgi.post(app, f"/api/{project.id}/envelope/", method="GET").status == 405
    preflight = asgi.post(app, f"/api/{project.id}/envelope/", method="OPTIONS")
    assert preflight.status == 200
    assert "x-sentry-auth" in preflight.headers["access-control-allow-headers"]


def call_counting_reads(app, path, headers, body_parts):
    """Like asgi.post, with the body in parts; returns the response and how many parts were read."""
    from asgiref.sync import async_to_sync

    parts, read = list(body_parts), []

    async def receive():
        read.append(1)
        return {"type": "http.request", "body": parts[len(read) - 1], "more_body": len(read) < len(parts)}

    sent = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": path, "query_string": b"",
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}
    app._redis = app._append = None
    async_to_sync(app)(scope, receive, send)
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return asgi.Response(sent[0]["status"], {}, body), len(read)


def test_a_bad_key_in_the_headers_is_refused_before_the_body_is_read(app, project, redis_client):
    response, parts_read = call_counting_reads(
        app, f"/api/{project.id}/envelope/", {"X-Sentry-Auth": "Sentry sentry_key=" + "0" * 32}, [b"x" * 65536] * 100)
    assert (response.status, parts_read) == (401, 0)


def test_keys_that_cannot_be_dsn_keys_are_refused_and_leave_nothing_in_redis(app, project, redis_client):
    before = redis_client.dbsize()
    for key in ("a" * 40_000, "not-a-key", "0" * 31):
        response = asgi.post(app, f"/api/{project.id}/envelope/", envelope(make_event()), {"X-Sentry-Auth": f"Sentry sentry_key={key}"})
        assert response.status == 401
    event = make_event()
    tunnelled = envelope(event, header={"event_id": event["event_id"], "dsn": f"http://{'k' * 5_000}@host/{project.id}"})
    assert asgi.post(app, f"/api/{project.id}/envelope/", tunnelled).status == 401
    assert redis_client.dbsize() == before


@pytest.mark.parametrize("levels", [1_000, 10_000])
def test_deeply_nested_json_is_a_400_not_a_503(app, project, redis_client, levels):
    event = make_event()
    payload = json.dumps(event).encode()[:-1] + b', "extra": ' + b"[" * levels + b"]" * levels + b"}"
    body = b"{}\n" + json.dumps({"type": "event", "length": len(payload)}).encode() + b"\n" + payload
    response = asgi.post(app, f"/api/{project.id}/envelope/", body, auth(project.keys.first()))
    assert response.status == 400
    assert redis_client.xlen(stream.EVENTS) == 0


def test_an_envelope_of_5000_events_is_refused_whole(app, project, redis_client):
    payload = json.dumps(make_event()).encode()
    item = json.dumps({"type": "event", "length": len(payload)}).encode() + b"\n" + payload + b"\n"
    response = asgi.post(app, f"/api/{project.id}/envelope/", b"{}\n" + item * 5000, auth(project.keys.first()))
    assert response.status == 400
    assert redis_client.xlen(stream.EVENTS) == 0


def test_a_body_that_inflates_past_a_megabyte_is_parsed_off_the_loop_and_accepted(app, project, redis_client):
    event = make_event()
    payload = json.dumps(event).encode()
    attachment = b"\0" * 30_000_000
    body = (json.dumps({"event_id": event["event_id"]}).encode() + b"\n"
            + json.dumps({"type": "attachment", "length": len(attachment)}).encode() + b"\n" + attachment + b"\n"
            + json.dumps({"type": "event", "length": len(payload)}).encode() + b"\n" + payload + b"\n")
    response = asgi.post(app, f"/api/{project.id}/envelope/", gzip.compress(body, 1), {**auth(project.keys.first()), "Content-Encoding": "gzip"})
    assert (response.status, response.json()) == (200, {"id": event["event_id"]})
    assert [m.event_id for m in events_in_stream(redis_client)] == [event["event_id"]]
