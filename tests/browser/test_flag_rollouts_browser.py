"""Issue 14 in a real browser: an approval request (held on enabling in production, reviewed by a
second member beside the flag's error evidence, approved and applied) and a progressive rollout
scheduled from the flag's page whose first step is then applied. Screenshots go to the test's
temporary directory."""

import datetime as dt

import pytest
import requests

from flags import policy, schedules
from flags.models import ApprovalRequest, FlagChange, FlagEnvironment, Schedule
from tests.factories import envelope, grant, make_event
from tests.flags.factories import make_flag
from tests.live import wait_for
from triage.models import ErrorEvent

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_an_enable_held_for_approval_is_approved_by_a_second_member(live_stack, browser, login, project, alice, bob,
                                                                     tmp_path):
    grant(alice, "flags.change_flag")
    grant(bob, "flags.change_flag")
    policy.set_approval_environments(project, ["production"], actor=alice, source="dashboard")
    make_flag(project, "new-checkout", environments={"staging": {"enabled": True}})
    auth = {"X-Sentry-Auth": f"Sentry sentry_key={project.keys.first().public_key}, sentry_version=7"}
    for i in range(4):  # errors carrying new-checkout=true, through the live edge and worker
        sent = requests.post(f"{live_stack.url}/api/{project.id}/envelope/", data=envelope(make_event(user={"id": f"u-{i}"})),
                             headers=auth, timeout=10)
        assert sent.status_code == 200
    wait_for(lambda: ErrorEvent.objects.filter(project=project).count() == 4, timeout=60, what="the worker to digest")

    asking = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    asking.set_default_timeout(60_000)
    login(asking, bob)
    asking.goto(live_stack.url + f"/projects/{project.id}/flags/new-checkout/")
    production = asking.locator("section[data-env=production]")
    assert "needs a second member's approval" in production.inner_text()
    production.locator("input[name=reason]").first.fill("checkout v2 is ready")
    production.locator("button", has_text="Enable in production").click()
    asking.wait_for_selector("text=Held for approval")
    assert "A second member must approve" in asking.inner_text("body")
    assert not FlagEnvironment.objects.get(flag__key="new-checkout", environment="production").enabled
    asking.screenshot(path=str(tmp_path / "approval-requested.png"), full_page=True)
    request = ApprovalRequest.objects.get()

    reviewing = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    reviewing.set_default_timeout(60_000)
    login(reviewing, alice)
    reviewing.goto(live_stack.url + f"/projects/{project.id}/flag-approvals/")
    reviewing.click(f"a[href$='/flag-approvals/{request.id}/']")
    body = reviewing.inner_text("body")
    assert "turns it on" in body and "checkout v2 is ready" in body
    assert "enabled" in reviewing.inner_text("table.diff")
    cohorts = reviewing.inner_text("table.cohorts")
    assert "true" in cohorts and "4" in cohorts  # the flag's current error evidence
    reviewing.fill("form.approve input[name=comment]", "evidence is clean")
    reviewing.click("form.approve button")
    reviewing.wait_for_selector("text=approved and applied")
    reviewing.screenshot(path=str(tmp_path / "approval-approved.png"), full_page=True)

    assert FlagEnvironment.objects.get(flag__key="new-checkout", environment="production").enabled
    enabled = FlagChange.objects.get(flag_key="new-checkout", action="enabled", environment="production")
    assert (enabled.actor, enabled.reason) == (bob, f"checkout v2 is ready (approved by alice, request #{request.id})")
    assert (tmp_path / "approval-requested.png").stat().st_size > 0 and (tmp_path / "approval-approved.png").exists()


def test_a_progressive_rollout_is_scheduled_in_the_page_and_its_first_step_shows(live_stack, page, login, project, alice,
                                                                                  tmp_path):
    grant(alice, "flags.change_flag")
    make_flag(project, "new-checkout", environments={})
    login(page, alice)
    page.goto(live_stack.url + f"/projects/{project.id}/flags/new-checkout/")
    form = page.locator("form.schedule-form")
    form.locator("select[name=environment]").select_option("production")
    form.locator("input[name=percentages]").fill("1, 5, 25, 100")
    form.locator("input[name=every_minutes]").fill("60")
    form.locator("input[name=reason]").fill("ramp the new checkout")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("text=Scheduled #")
    schedule = Schedule.objects.get()
    row = page.locator(f"tr[data-schedule='{schedule.id}']")
    assert "Scheduled" in row.inner_text() and "on, 1 %" in row.inner_text()

    # The beat task's work (flags.tasks.run_schedules → run_due), as the next beat would do it.
    assert schedules.run_due(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)) == [(schedule.id, 0, "applied")]

    page.reload()
    row = page.locator(f"tr[data-schedule='{schedule.id}']")
    assert row.locator("li.done-step").inner_text().startswith("on, 1 %")
    assert row.locator("li.next-step").inner_text().startswith("5 %")
    assert "Serves on to 1 % of targeting keys" in page.locator("section[data-env=production]").inner_text()
    assert "step 1/4 (on, 1 %)" in page.inner_text("table.history")
    page.screenshot(path=str(tmp_path / "schedule-step-applied.png"), full_page=True)
    assert (tmp_path / "schedule-step-applied.png").stat().st_size > 0
