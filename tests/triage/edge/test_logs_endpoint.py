"""POST /api/<project>/logs/: plain JSON or NDJSON lines with the DSN key, refused as errors are
(400, 401, 403, 413, 429), with nothing written on a refused request."""

import gzip
import json

import pytest

from tests import asgi
from tests.triage.pipeline import drain
from triage import stream
from triage.edge.asgi import IngestApp
from triage.models import LogLine

pytestmark = pytest.mark.django_db
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def post(project, body, key=None, headers=None, project_id=None):
    key = key or project.keys.first().public_key
    headers = {"X-Sentry-Auth": f"Sentry sentry_key={key}", **(headers or {})}
    return asgi.post(IngestApp(fallback=None), f"/api/{project_id or project.id}/logs/", body, headers)


def waiting(redis_client) -> int:
    return redis_client.xlen(stream.LOGS) if redis_client.exists(stream.LOGS) else 0


def test_a_json_array_of_lines_is_stored_with_its_fields(project, redis_client):
    lines = [{"timestamp": "2026-01-01T00:00:00Z", "level": "warning", "message": "disk at 91%", "logger": "shop.disk",
              "trace_id": TRACE, "span_id": "00f067aa0ba902b7", "attributes": {"disk": "/dev/sda1", "percent": 91}},
             {"message": "no timestamp, no level"}]
    response = post(project, json.dumps(lines).encode())
    assert response.status == 200, response.body
    drain(redis_client, stream.LOGS)
    first, second = LogLine.objects.order_by("position")
    assert (first.level, first.message, first.logger, first.trace_id, first.span_id) == (
        "warn", "disk at 91%", "shop.disk", TRACE, "00f067aa0ba902b7")
    assert first.attributes["percent"] == 91 and first.attributes["disk"] == "/dev/sda1"
    assert (second.level, second.message) == ("info", "no timestamp, no level")


def test_ndjson_gzipped_with_the_key_in_the_query_is_stored(project, redis_client):
    body = b'{"message": "a", "level": "error"}\n\n{"message": "b", "release": "shop@2.0", "environment": "prod"}\n'
    response = asgi.post(IngestApp(fallback=None), f"/api/{project.id}/logs/", gzip.compress(body),
                         {"Content-Encoding": "gzip"}, query=f"sentry_key={project.keys.first().public_key}")
    assert response.status == 200, response.body
    drain(redis_client, stream.LOGS)
    assert list(LogLine.objects.order_by("position").values_list("message", "level", "release", "environment")) == [
        ("a", "error", "", ""), ("b", "info", "shop@2.0", "prod")]


@pytest.mark.parametrize(("body", "detail"), [
    (b"", "no log lines"),
    (b"not json", "line 1 is not valid JSON"),
    (b'{"message": "ok"}\n{"message": ', "line 2 is not valid JSON"),
    (b'[{"message": "ok"}, 7]', "line 2 must be a JSON object"),
    (b'[{"level": "info"}]', "line 1: message must be a non-empty string"),
    (b'[{"message": "m", "level": "loud"}]', "line 1: level must be one of"),
    (b'[{"message": "m", "trace_id": "xyz"}]', "line 1: trace_id must be 32 hexadecimal digits"),
    (b'[{"message": "m", "span_id": 12}]', "line 1: span_id must be 16 hexadecimal digits"),
    (b'[{"message": "m", "timestamp": "yesterday"}]', "line 1: timestamp must be"),
    (b'[{"message": "m", "timestamp": true}]', "line 1: timestamp must be"),
    (b'[{"message": "m", "attributes": [1]}]', "line 1: attributes must be a JSON object"),
    (b'[{"message": "m", "logger": 5}]', "line 1: logger must be a string"),
    (b'{"message": "an object, not an array"', "line 1 is not valid JSON"),
    (b"[" * 300 + b"]" * 300, "nests deeper than 256 levels"),
])
def test_bad_input_is_a_400_naming_the_fault_and_nothing_is_written(project, redis_client, body, detail):
    response = post(project, body)  # "line 2": a good first line is not appended either
    assert response.status == 400
    assert detail in response.json()["detail"]
    assert waiting(redis_client) == 0


def test_too_many_lines_is_a_400(project, redis_client):
    response = post(project, json.dumps([{"message": str(i)} for i in range(1001)]).encode())
    assert (response.status, response.json()["detail"]) == (400, "a request carries at most 1000 lines")
    assert waiting(redis_client) == 0


def test_a_body_over_the_limit_is_a_413(project, redis_client, settings):
    settings.SWITCHYARD = {**settings.SWITCHYARD, "MAX_EVENT_BYTES": 2048}
    response = post(project, json.dumps([{"message": "x" * 3000}]).encode())
    assert response.status == 413
    assert waiting(redis_client) == 0


def test_no_key_an_unknown_key_and_another_projects_key_are_refused(project, redis_client, other_project):
    assert asgi.post(IngestApp(fallback=None), f"/api/{project.id}/logs/", b'[{"message": "m"}]').status == 401
    assert post(project, b'[{"message": "m"}]', key="0" * 32).status == 401
    assert post(project, b'[{"message": "m"}]', key=other_project.keys.first().public_key).status == 403
    assert waiting(redis_client) == 0


def test_a_full_log_stream_answers_429_with_retry_after_and_writes_nothing(project, redis_client, settings):
    settings.SWITCHYARD = {**settings.SWITCHYARD, "LOG_STREAM_MAX_BYTES": 1024 * 1024}
    big = json.dumps([{"message": "x" * 9000} for _ in range(100)]).encode()  # ~900 KB as stored
    assert post(project, big).status == 200
    response = post(project, big)
    assert response.status == 429
    assert response.headers["retry-after"] and "log_item" in response.headers["x-sentry-rate-limits"]
    assert waiting(redis_client) == 1
    drain(redis_client, stream.LOGS)
    assert int(redis_client.get(stream.bytes_key(stream.LOGS))) == 0  # acknowledging gave the bytes back
    assert post(project, big).status == 200


def test_get_is_a_405(project):
    assert asgi.post(IngestApp(fallback=None), f"/api/{project.id}/logs/", method="GET").status == 405
