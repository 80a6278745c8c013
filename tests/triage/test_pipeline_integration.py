"""End to end with real parts: sentry-sdk → uvicorn/config.asgi → Redis → Celery worker → database."""

import subprocess
import sys

import pytest

from tests.live import ROOT, wait_for
from triage import stream
from triage.models import ErrorEvent, ErrorGroup

pytestmark = [pytest.mark.integration]


def run_app(dsn: str, *args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "tests/apps/shop_app.py"), dsn, *args], check=True, timeout=60)


def test_sentry_sdk_exception_becomes_a_grouped_issue(live_stack, project):
    run_app(project.keys.first().dsn(live_stack.url), "shop@1.4.0", "production")
    group = wait_for(lambda: ErrorGroup.objects.filter(project=project, event_count=2).first(), what="a group with 2 events")
    assert group.title == "ValueError: bad price 150 for order ord-1"
    assert group.culprit.endswith("in price")
    assert group.first_release.version == "shop@1.4.0"
    event = ErrorEvent.objects.filter(group=group).first()
    assert (event.release.version, event.environment, event.user_key) == ("shop@1.4.0", "production", "id:u-17")
    assert event.flags == {"new-checkout": "true", "dark-mode": "false"}
    assert set(group.flag_counts.values_list("key", "value", "count")) == {("new-checkout", "true", 2), ("dark-mode", "false", 2)}


def test_same_bug_from_another_release_joins_the_group(live_stack, project):
    dsn = project.keys.first().dsn(live_stack.url)
    run_app(dsn, "shop@1.4.0")
    run_app(dsn, "shop@1.5.0", "staging")
    group = wait_for(lambda: ErrorGroup.objects.filter(project=project, event_count=4).first(), what="4 events in one group")
    assert ErrorGroup.objects.filter(project=project).count() == 1
    assert sorted(group.release_counts.values_list("release__version", flat=True)) == ["shop@1.4.0", "shop@1.5.0"]
    assert sorted(group.environment_counts.values_list("environment", flat=True)) == ["production", "staging"]


def test_poison_message_goes_to_dead_letter_while_events_behind_it_are_digested(live_stack, project, settings):
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    dead_before = client.xlen(stream.dead_letter_stream(stream.EVENTS))
    client.xadd(stream.EVENTS, {"v": "1", "project": str(project.id), "event_id": "f" * 32, "received": "x", "payload": b"{"})
    run_app(project.keys.first().dsn(live_stack.url))
    wait_for(lambda: ErrorGroup.objects.filter(project=project, event_count=2).exists(), what="the events behind the poison")
    wait_for(lambda: client.xlen(stream.dead_letter_stream(stream.EVENTS)) == dead_before + 1, what="the dead letter")
    assert not ErrorEvent.objects.filter(event_id="f" * 32).exists()
