"""Event quotas per project and for the installation: counted with the append, refused with 429
and a rate-limit header the SDK obeys, shown in the project's settings."""

import datetime as dt
import json
import subprocess
import sys

import pytest

from projects.models import Project
from tests import asgi
from tests.factories import envelope, make_event
from tests.live import ROOT, wait_for
from triage import stream
from triage.edge import quotas
from triage.edge.asgi import IngestApp
from triage.models import ErrorEvent


def test_windows_end_at_the_minute_the_hour_and_the_first_of_next_month():
    now = dt.datetime(2026, 12, 31, 23, 59, 30, tzinfo=dt.UTC)
    assert quotas.window_of("minute", now)[1] == 30
    assert quotas.window_of("hour", now)[1] == 30
    assert quotas.window_of("month", now) == ("mo202612", 30)
    assert quotas.window_of("month", dt.datetime(2027, 2, 1, tzinfo=dt.UTC)) == ("mo202702", 28 * 86400)


def test_limits_survive_the_cache_encoding():
    limits = quotas.Limits(minute=5, month=100_000)
    assert quotas.Limits.decode(limits.encode().encode()) == limits
    assert quotas.Limits.decode(quotas.Limits().encode()) == quotas.Limits()


@pytest.fixture
def app(tunables):
    async def not_django(scope, receive, send):
        raise AssertionError("not an ingest path")

    return IngestApp(fallback=not_django)


def send(app, project, event=None):
    key = project.keys.first()
    return asgi.post(app, f"/api/{project.id}/envelope/", envelope(event or make_event()),
                     {"X-Sentry-Auth": f"Sentry sentry_key={key.public_key}"})


@pytest.mark.django_db
def test_a_project_over_its_minute_quota_gets_429_naming_the_scope_and_nothing_is_counted_twice(app, project, redis_client):
    Project.objects.filter(pk=project.pk).update(event_quota_minute=3)
    statuses = [send(app, project).status for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    refused = send(app, project)
    seconds, categories, scope, reason = refused.headers["x-sentry-rate-limits"].split(":")
    assert (categories, scope, reason) == ("error;default", "project", "quota_exceeded")
    assert 0 < int(seconds) <= 60 and refused.headers["retry-after"] == seconds
    assert redis_client.xlen(stream.EVENTS) == 3
    assert quotas.usage(redis_client, project.id, dt.datetime.now(dt.UTC))["minute"] == 3


@pytest.mark.django_db
def test_logs_keep_flowing_when_the_event_quota_is_used_up(app, project, redis_client):
    Project.objects.filter(pk=project.pk).update(event_quota_hour=1)
    assert send(app, project).status == 200
    logs = json.dumps({"version": 2, "items": [{"timestamp": 1795803347.0, "level": "info", "body": "still here"}]}).encode()
    key = project.keys.first()
    body = b"{}\n" + json.dumps({"type": "log", "length": len(logs)}).encode() + b"\n" + logs + b"\n"
    response = asgi.post(app, f"/api/{project.id}/envelope/", body, {"X-Sentry-Auth": f"Sentry sentry_key={key.public_key}"})
    assert response.status == 200 and redis_client.xlen(stream.LOGS) == 1


@pytest.mark.django_db
def test_the_installation_quota_is_named_organization(app, project, tunables, redis_client):
    tunables["QUOTA_PER_HOUR"] = 2
    assert [send(app, project).status for _ in range(3)] == [200, 200, 429]
    assert send(app, project).headers["x-sentry-rate-limits"].split(":")[2:] == ["organization", "quota_exceeded"]


@pytest.mark.django_db
def test_a_changed_quota_reaches_ingest_once_saved(app, project, redis_client, django_capture_on_commit_callbacks):
    assert send(app, project).status == 200
    with django_capture_on_commit_callbacks(execute=True):
        project.event_quota_month = 1
        project.save()
    app.limits.forget()  # what KEY_CACHE_SECONDS does in production
    assert send(app, project).status == 429


@pytest.mark.django_db
def test_project_settings_show_quotas_and_use(client, alice, project, app, redis_client):
    Project.objects.filter(pk=project.pk).update(event_quota_minute=100)
    send(app, project)
    client.force_login(alice)
    html = client.get(f"/projects/{project.id}/settings/").content.decode()
    assert "1 of 100" in html and "Events this month" in html


@pytest.mark.integration
def test_the_real_sdk_stops_sending_errors_when_the_quota_is_used_up(live_stack, project):
    project.event_quota_minute = 3
    project.save()  # committed: the server hears of it (triage.edge.signals)
    output = subprocess.run([sys.executable, str(ROOT / "tests/apps/quota_app.py"), project.keys.first().dsn(live_stack.url), "5"],
                            check=True, timeout=60, capture_output=True, text=True).stdout
    assert "error" in json.loads(output.strip().splitlines()[-1])["disabled"]
    wait_for(lambda: ErrorEvent.objects.filter(project=project).count() == 3, what="the three events within the quota")


@pytest.mark.django_db
def test_quotas_are_changed_by_a_member_with_the_permission_only(client, bob, charlie, project):
    from tests.factories import grant

    url, data = f"/projects/{project.id}/quotas/", {"event_quota_minute": "50", "event_quota_hour": "", "event_quota_month": ""}
    client.force_login(bob)
    assert client.post(url, data).status_code == 403
    client.force_login(grant(charlie, "projects.change_project"))
    assert client.post(url, data).status_code == 404
    client.force_login(grant(bob, "projects.change_project"))
    assert client.post(url, data).status_code == 302
    assert client.get(url).status_code == 405
    assert Project.objects.get(pk=project.pk).event_quota_minute == 50
