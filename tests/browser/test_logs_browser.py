"""The logs page in a real browser: lines posted to the logs endpoint while the page is open
appear at its top without a reload (live tail over server-sent events), in their level's colour,
escaped, and a line of an error's trace links to its group."""

import json
import urllib.request

import pytest

from tests.live import ROOT, wait_for
from tests.triage.helpers import crash
from triage.models import ErrorGroup, LogLine

pytestmark = [pytest.mark.browser, pytest.mark.integration]
ARTIFACTS = ROOT / "test-artifacts"
TRACE = "9" * 32


def post(url: str, path: str, body: bytes, key: str) -> int:
    request = urllib.request.Request(url + path, data=body, method="POST",
                                     headers={"X-Sentry-Auth": f"Sentry sentry_key={key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def test_new_lines_appear_live_in_their_colour_and_link_to_their_group(live_stack, login, page, project, alice):
    key = project.keys.first().public_key
    event = crash("charge", "shop.pay", "CardDeclined", contexts={"trace": {"trace_id": TRACE}})
    envelope = b"\n".join([json.dumps({"event_id": event["event_id"]}).encode(),
                           json.dumps({"type": "event"}).encode(), json.dumps(event).encode()])
    assert post(live_stack.url, f"/api/{project.id}/envelope/", envelope, key) == 200
    group = wait_for(lambda: ErrorGroup.objects.filter(project=project).first(), what="the error's group")
    assert post(live_stack.url, f"/api/{project.id}/logs/", json.dumps([{"message": "already there"}]).encode(), key) == 200
    wait_for(lambda: LogLine.objects.filter(project_id=project.id).exists(), what="the first line")

    login(page, alice)
    page.goto(f"{live_stack.url}/logs/?project={project.id}")
    page.wait_for_selector("#log-lines[data-tail=open]")  # set when the server says its subscription is live
    page.evaluate("window.notReloaded = true")
    lines = [{"message": "card declined <b>twice</b>", "level": "error", "trace_id": TRACE, "logger": "shop.pay"},
             {"message": "retrying the charge", "level": "warn"}]
    assert post(live_stack.url, f"/api/{project.id}/logs/", json.dumps(lines).encode(), key) == 200

    fresh = page.locator("tr.log-line.fresh")
    fresh.nth(1).wait_for()
    assert page.evaluate("window.notReloaded") is True  # no reload: the rows came over the live tail
    rows = page.locator("#log-lines tbody tr")
    assert [rows.nth(i).locator(".log-message").inner_text().split(" group #")[0] for i in range(3)] == [
        "retrying the charge", "card declined <b>twice</b>", "already there"]
    assert page.locator("#log-lines b").count() == 0  # shown as text, never as HTML
    error_badge = rows.nth(1).locator(".log-level")
    assert error_badge.inner_text() == "error"
    assert error_badge.evaluate("e => getComputedStyle(e).color") == "rgb(192, 57, 43)"  # --danger
    assert rows.nth(0).locator(".log-level").evaluate("e => getComputedStyle(e).color") == "rgb(161, 92, 0)"
    page.screenshot(path=str(ARTIFACTS / "logs-live-tail.png"), full_page=True)
    rows.nth(1).locator("a.chip").click()
    page.wait_for_url(f"**/groups/{group.id}/")
    assert "card declined" in page.locator("#logs").inner_text()
