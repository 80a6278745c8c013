"""triage.digest.logs: `log` envelope items → LogLine rows, through ingest and a consumer turn."""

import datetime as dt
import json
import time

import pytest
from django.db import DataError

from tests import asgi
from tests.factories import envelope, make_event
from tests.triage.pipeline import drain
from triage import stream
from triage.edge.asgi import IngestApp
from triage.logs import store
from triage.models import LogLine
from triage.stream import IngestMessage

pytestmark = pytest.mark.django_db
SENT_AT = float(int(time.time()) - 60)  # within the past 30 days: stored at its own time


def test_log_items_are_stored(project, redis_client):
    logs = json.dumps({"version": 2, "items": [
        {"timestamp": SENT_AT, "level": "error", "body": "Payment gateway timeout after 5000ms",
         "attributes": {"sentry.message.template": {"value": "Payment gateway timeout after {ms}ms", "type": "string"}}},
    ]}).encode()
    key = project.keys.first()
    app = IngestApp(fallback=None)
    body = envelope(make_event(), [({"type": "log", "item_count": 1, "length": len(logs)}, logs)])
    assert asgi.post(app, f"/api/{project.id}/envelope/", body, {"X-Sentry-Auth": f"Sentry sentry_key={key.public_key}"}).status == 200
    drain(redis_client, stream.LOGS)
    drain(redis_client, stream.LOGS)
    entry = LogLine.objects.get()
    assert entry.template == "Payment gateway timeout after {ms}ms"
    assert entry.timestamp == dt.datetime.fromtimestamp(SENT_AT, tz=dt.UTC)


def append_logs(redis_client, project, bodies: list[str]) -> bytes:
    payload = json.dumps({"version": 2, "items": [
        {"timestamp": SENT_AT + i, "level": "info", "body": body,
         "attributes": {"sentry.environment": {"value": "prod", "type": "string"}}}
        for i, body in enumerate(bodies)
    ]}).encode()  # ensure_ascii: a NUL or a lone surrogate travels as its JSON escape, as SDKs send it
    message = IngestMessage(project.id, "a" * 32, time.time(), payload)
    return redis_client.xadd(stream.LOGS, message.to_fields())


def dead_lines(redis_client) -> list[dict]:
    entries = redis_client.xrange(stream.dead_letter_stream(stream.LOGS))
    return [item for _, fields in entries for item in json.loads(fields[b"payload"])["items"]]


def test_a_nul_or_a_lone_surrogate_in_one_line_loses_no_line(project, redis_client):
    bodies = [f"line {i}" for i in range(10)]
    bodies[3] = "nul \x00 here"
    bodies[6] = "lone \ud800 surrogate"
    append_logs(redis_client, project, bodies)
    drain(redis_client, stream.LOGS)
    stored = list(LogLine.objects.order_by("position").values_list("message", flat=True))
    assert len(stored) >= 9  # 10 once normalize.clean drops lone surrogates too
    assert len(stored) + len(dead_lines(redis_client)) == 10  # none lost silently
    assert "nul  here" in stored and not any("\x00" in body for body in stored)
    assert redis_client.xpending(stream.LOGS, stream.GROUP)["pending"] == 0


def test_a_line_that_cannot_be_written_is_dead_lettered_alone_and_its_neighbours_stored(project, redis_client, monkeypatch):
    first = append_logs(redis_client, project, ["a0", "poison", "a2"])
    append_logs(redis_client, project, ["b0", "b1"])
    real = store.insert_lines

    def insert_lines(rows):
        if any(row.message == "poison" for row in rows):
            raise DataError("invalid input syntax")
        return real(rows)

    monkeypatch.setattr(store, "insert_lines", insert_lines)
    drain(redis_client, stream.LOGS)
    assert sorted(LogLine.objects.values_list("message", flat=True)) == ["a0", "a2", "b0", "b1"]
    [(_, fields)] = redis_client.xrange(stream.dead_letter_stream(stream.LOGS))
    assert json.loads(fields[b"payload"])["items"][0]["body"] == "poison"
    assert (fields[b"original_id"], fields[b"project"]) == (first, str(project.id).encode())
    assert b"log line 1: django.db.utils.DataError: invalid input syntax" in fields[b"reason"]
    assert redis_client.xpending(stream.LOGS, stream.GROUP)["pending"] == 0
