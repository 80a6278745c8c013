"""The on-call story in a real browser: the demo app sends a spike through the real sentry-sdk, the
developer opens the spiking group, kills its flag beside the chart, and the kill is real: OFREP
answers false and the audit log has the reason."""

import json
import subprocess
import sys
import urllib.request

import pytest
from django.core.management import call_command

from flags.demo import demo_sdk_key
from flags.models import FlagChange
from projects.models import Project
from tests.live import ROOT, child_env, wait_for
from triage.models import ErrorGroup

pytestmark = [pytest.mark.browser, pytest.mark.integration]
ARTIFACTS = ROOT / "test-artifacts"
SPIKE_CULPRIT = "shop.checkout_v2 in apply_discount"


@pytest.fixture
def demo(live_stack):
    """`make run`'s first-run data (admin, demo project, demo flags) and its demo app, spiking at once."""
    forget_counters()
    call_command("seed_demo", password="demo-password", base_url=live_stack.url)
    had_traffic(Project.objects.get(slug="demo"))
    app = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "demo_app.py"), "--url", live_stack.url, "--spike-after", "0", "--rate", "2"],
        cwd=ROOT, env=child_env(SWITCHYARD_BASE_URL=live_stack.url), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    project = Project.objects.get(slug="demo")
    wait_for(lambda: ErrorGroup.objects.filter(project=project, culprit=SPIKE_CULPRIT, event_count__gte=20).exists(),
             timeout=60, what="the demo app's spike")
    yield project
    app.terminate()
    app.wait(20)


def forget_counters() -> None:
    """Drops hot counters and cached pages an earlier run left in this Redis under the same group ids
    (the session's worker keeps its streams, so the database is not flushed)."""
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    for pattern in ("{switchyard}:counts:*", "{switchyard}:users:*", "*triage:*"):
        for key in client.scan_iter(match=pattern, count=1000):
            client.delete(key)


def had_traffic(project) -> None:
    """Ten minutes of the project's usual errors (10 a minute) in the hot counters, as if the demo
    had been running for a while: a new group is judged against them (triage.attribution.spikes)."""
    import redis
    from django.conf import settings
    from django.utils import timezone

    from triage.grouping import counters

    client, now = redis.Redis.from_url(settings.REDIS_URL), counters.minute_of(timezone.now())
    for minute in range(now - 12 * 60, now - 60, 60):
        client.hset(counters.project_counts_key(minute), project.id, 10)
        client.expire(counters.project_counts_key(minute), 3600)


def send_event(url: str, project, event: dict) -> None:
    """Through the live server's ingest, as an SDK would (the worker digests it)."""
    from tests.factories import envelope

    key = project.keys.first()
    request = urllib.request.Request(f"{url}/api/{project.id}/envelope/", data=envelope(event),
                                     headers={"X-Sentry-Auth": f"Sentry sentry_key={key.public_key}, sentry_version=7"})
    urllib.request.urlopen(request, timeout=10).read()


def ofrep(url: str, project, key: str) -> dict:
    request = urllib.request.Request(
        f"{url}/ofrep/v1/evaluate/flags/{key}", data=json.dumps({"context": {"targetingKey": "u-1"}}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {demo_sdk_key(project)}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_developer_kills_the_flag_behind_a_spike_from_the_group_page(live_stack, page, login, demo, django_user_model):
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    admin = django_user_model.objects.get(username="admin")
    assert ofrep(live_stack.url, demo, "new-checkout")["reason"] == "SPLIT"  # half the users get it
    login(page, admin, "demo-password")

    page.goto(live_stack.url + "/")
    first_row = page.locator("tr.group-row").first
    first_row.locator(".badge.spike").wait_for()
    assert SPIKE_CULPRIT in first_row.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "triage-group-list.png"), full_page=True)

    first_row.locator("a.title").click()
    page.wait_for_selector(".chart[data-loaded='1h'] .main-svg")  # plotly drew the figure from the endpoint
    page.locator(".chart .annotation-text", has_text="shop@1.").first.wait_for()  # a release marker on the time axis
    page.screenshot(path=str(ARTIFACTS / "triage-group-detail.png"), full_page=True)

    page.click("text=Disable new-checkout in production")
    dialog = page.locator("dialog[open]")
    dialog.locator("textarea[name=reason]").fill("TypeError spike in apply_discount since shop@1.5.0")
    dialog.locator("button[type=submit]").click()
    page.wait_for_selector("text=Turned new-checkout off in production")

    answer = ofrep(live_stack.url, demo, "new-checkout")
    assert (answer["value"], answer["reason"]) == (False, "DISABLED")
    change = FlagChange.objects.get(flag__key="new-checkout", action="disabled")
    assert (change.actor, change.environment, change.reason) == (admin, "production", "TypeError spike in apply_discount since shop@1.5.0")
    page.goto(f"{live_stack.url}/projects/{demo.id}/flag-audit/")
    assert "TypeError spike in apply_discount since shop@1.5.0" in page.inner_text("main")
    assert errors == []


def test_the_list_refreshes_itself_with_new_groups(live_stack, page, login, alice, project):
    from tests.factories import envelope, make_event, with_crash_site

    login(page, alice)
    key = project.keys.first()

    def send(function):
        event = with_crash_site(make_event(), "shop.live", function)
        request = urllib.request.Request(f"{live_stack.url}/api/{project.id}/envelope/", data=envelope(event),
                                         headers={"X-Sentry-Auth": f"Sentry sentry_key={key.public_key}, sentry_version=7"})
        urllib.request.urlopen(request, timeout=10).read()

    send("first")
    wait_for(lambda: ErrorGroup.objects.filter(project=project).exists(), what="the first group")
    page.goto(live_stack.url + "/groups/")
    page.wait_for_selector("text=shop.live in first")
    page.evaluate("window.stillTheSamePage = true")
    send("second")
    wait_for(lambda: ErrorGroup.objects.filter(project=project).count() == 2, what="the second group")
    page.wait_for_selector("text=shop.live in second", timeout=20_000)  # the 10 s poll swaps the rows in
    assert page.evaluate("window.stillTheSamePage === true")  # not a reload


def test_pages_work_under_the_content_security_policy(live_stack, page, login, alice, project):
    """No inline script and no eval: the list's live refresh, the spike chart and the flags pages
    run with the policy config.middleware sends, and the browser reports no violation."""
    from tests.factories import make_event
    from tests.flags.factories import make_flag

    violations = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None)
    send_event(live_stack.url, project, make_event())
    group = wait_for(lambda: ErrorGroup.objects.filter(project=project).first(), what="the group")
    make_flag(project, "new-checkout")
    login(page, alice)

    response = page.goto(live_stack.url + "/groups/")
    assert "script-src 'self';" in response.headers["content-security-policy"]
    with page.expect_response(lambda r: "/groups/" in r.url and r.request.headers.get("hx-request") == "true", timeout=30_000):
        pass  # the rows' 10 s poll, through htmx with eval off
    page.goto(f"{live_stack.url}/groups/{group.id}/")
    page.wait_for_selector(".chart[data-loaded='1h'] .main-svg")  # plotly.js drew the figure
    page.click("[data-range='24h']")
    page.wait_for_selector(".chart[data-loaded='24h'] .main-svg")
    for path in ("flags/", "flags/new-checkout/", "flag-audit/"):
        page.goto(f"{live_stack.url}/projects/{project.id}/{path}")
    assert violations == []


def test_the_list_does_not_refresh_in_a_hidden_tab(live_stack, page, login, alice, project):
    """app.js cancels the rows' poll while the tab is hidden (htmx's own filter would need eval)."""
    from tests.factories import make_event

    send_event(live_stack.url, project, make_event())
    wait_for(lambda: ErrorGroup.objects.filter(project=project).exists(), what="the group")
    login(page, alice)
    page.goto(live_stack.url + "/groups/")
    requests = []
    page.on("request", lambda r: requests.append(r.url) if r.headers.get("hx-request") else None)
    page.evaluate("Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true})")
    page.evaluate("htmx.ajax('GET', location.href, {source: '#groups', target: '#groups', swap: 'outerHTML'})")
    page.evaluate("Object.defineProperty(document, 'visibilityState', {value: 'visible', configurable: true})")
    with page.expect_request(lambda r: r.headers.get("hx-request") == "true"):
        page.evaluate("htmx.ajax('GET', location.href, {source: '#groups', target: '#groups', swap: 'outerHTML'})")
    assert len(requests) == 1  # only the visible tab's
