"""End to end with real parts: the real OpenFeature client evaluates the flags, the real sentry-sdk
sends the errors with those flags, the worker digests them, beat runs the watch, the spike is
pinned on the guarded flag, the flag is disabled by itself, the client gets it off, and the
owner's webhook receives the alert."""

import http.server
import json
import subprocess
import sys
import threading
import uuid

import pytest
from django.utils import timezone
from openfeature import api
from openfeature.contrib.provider.ofrep import OFREPProvider
from openfeature.evaluation_context import EvaluationContext

from flags import changes
from flags.models import FlagChange
from tests.flags.factories import make_flag, make_sdk_key
from tests.live import ROOT, wait_for
from triage.alerts.rules import create_rule
from triage.grouping import counters

pytestmark = [pytest.mark.integration]
FLAGS = ["bad-checkout", "noise-a", "noise-b", "noise-c", "noise-d"]


class Receiver(http.server.BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802  (the http.server API)
        Receiver.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    Receiver.received = []
    server = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook", Receiver.received
    server.shutdown()


def usual_traffic(redis_client, project) -> None:
    """The project's quarter of an hour before: two errors a minute, so a new group can stand out."""
    now = counters.minute_of(timezone.now())
    for minute in range(now - 16 * 60, now - 60, 60):
        redis_client.hset(counters.project_counts_key(minute), project.id, 2)
        redis_client.expire(counters.project_counts_key(minute), 3600)


def test_a_guarded_flag_behind_a_spike_is_disabled_by_itself(live_stack, beat, project, alice, webhook, redis_client):
    url, received = webhook
    for key in FLAGS:
        make_flag(project, key, owner=alice, environments={"production": {"enabled": True, "rollout_percentage": 50}})
    bad = project.flags.get(key="bad-checkout")
    changes.update_environment(bad, "production", {"guard": "enforce"}, actor=alice, source="api")
    create_rule(project, {"name": "guard", "trigger": "guard", "webhook_url": url, "format": "json"}, actor=alice)
    sdk_key = make_sdk_key(project)
    usual_traffic(redis_client, project)
    subprocess.run([sys.executable, str(ROOT / "tests/apps/guarded_app.py"), live_stack.url,
                    project.keys.first().dsn(live_stack.url), sdk_key, "200", "3"], check=True, timeout=120)

    kill = wait_for(lambda: FlagChange.objects.filter(flag=bad, action="disabled", source="guard").first(),
                    timeout=90, what="the guard's kill")
    assert "bad-checkout=true" in kill.reason and "users who got true hit this error" in kill.reason
    assert not FlagChange.objects.filter(source="guard").exclude(flag=bad).exists()  # noise flags untouched

    domain = f"guarded-{uuid.uuid4().hex[:8]}"
    api.set_provider(OFREPProvider(live_stack.url, headers_factory=lambda: {"Authorization": f"Bearer {sdk_key}"}, timeout=5), domain)
    try:
        # The kill's audit row commits with the flag; the configuration OFREP serves is published
        # right after that commit, by the worker that made it: poll across that instant.
        client = api.get_client(domain)
        wait_for(lambda: client.get_boolean_value("bad-checkout", True, EvaluationContext(targeting_key="user-1")) is False,
                 timeout=30, what="OFREP serving the kill")
    finally:
        api.clear_providers()
    alert = wait_for(lambda: [m for m in received if m.get("trigger") == "guard"], timeout=60, what="the owner's webhook")[0]
    assert "bad-checkout" in json.dumps(alert)
