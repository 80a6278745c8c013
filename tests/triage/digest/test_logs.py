"""triage.digest.logs: `log` envelope items → LogEntry rows, through ingest and a consumer turn."""

import datetime as dt
import json

import pytest

from tests import asgi
from tests.factories import envelope, make_event
from tests.triage.pipeline import drain
from triage import stream
from triage.edge.asgi import IngestApp
from triage.models import LogEntry

pytestmark = pytest.mark.django_db


def test_log_items_are_stored(project, redis_client):
    logs = json.dumps({"version": 2, "items": [
        {"timestamp": 1795803347.0, "level": "error", "body": "Payment gateway timeout after 5000ms",
         "attributes": {"sentry.message.template": {"value": "Payment gateway timeout after {ms}ms", "type": "string"}}},
    ]}).encode()
    key = project.keys.first()
    app = IngestApp(fallback=None)
    body = envelope(make_event(), [({"type": "log", "item_count": 1, "length": len(logs)}, logs)])
    assert asgi.post(app, f"/api/{project.id}/envelope/", body, {"X-Sentry-Auth": f"Sentry sentry_key={key.public_key}"}).status == 200
    drain(redis_client, stream.LOGS)
    drain(redis_client, stream.LOGS)
    entry = LogEntry.objects.get()
    assert entry.template == "Payment gateway timeout after {ms}ms"
    assert entry.timestamp == dt.datetime.fromtimestamp(1795803347.0, tz=dt.UTC)
