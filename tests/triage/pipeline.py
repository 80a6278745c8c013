"""Helpers to push events through ingest and one consumer turn, in-process, on a real Redis."""

from __future__ import annotations

from django.conf import settings

from tests import asgi
from tests.factories import envelope
from triage import stream
from triage.edge.asgi import IngestApp
from triage.stream.consumer import StreamConsumer
from triage.stream.wiring import HANDLERS


async def _no_django(scope, receive, send):
    raise AssertionError("not an ingest path")


def send_events(project, events, app=None):
    app = app or IngestApp(fallback=_no_django)
    key = project.keys.first()
    headers = {"X-Sentry-Auth": f"Sentry sentry_key={key.public_key}, sentry_version=7"}
    for event in events:
        response = asgi.post(app, f"/api/{project.id}/envelope/", envelope(event), headers)
        assert response.status == 200, response.body


def consumer(redis_client, name="test-consumer", stream_name=stream.EVENTS) -> StreamConsumer:
    stream.ensure_group(redis_client, stream_name)
    options = {**settings.SWITCHYARD, "BLOCK_MS": 10}
    handler = HANDLERS[stream.base_stream(stream_name)](stream.partition_of(stream_name))
    c = StreamConsumer(redis_client, stream_name, name, handler, options)
    c.close_connections = lambda: None  # the test's connection holds its transaction
    return c


def drain(redis_client, stream_name=stream.EVENTS, name="test-consumer") -> int:
    c = consumer(redis_client, name, stream_name)
    handled = total = c.run_once()
    while handled:
        handled = c.run_once(now=0.0)
        total += handled
    return total
