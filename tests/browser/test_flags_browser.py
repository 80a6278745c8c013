"""In a real browser: the admin's "disable in production" action with its reason, and the
dashboard's kill button."""

import pytest

from flags.models import FlagChange, FlagEnvironment
from tests.factories import grant, make_user
from tests.flags.factories import make_flag
from tests.live import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_admin_disables_selected_flags_in_production_with_a_reason(live_stack, page, login, project):
    root = make_user("root", is_staff=True, is_superuser=True)
    project.members.add(root)
    flag = make_flag(project, "new-checkout", environments={"production": {"enabled": True}, "staging": {"enabled": True}})
    make_flag(project, "dark-mode")
    login(page, root)
    page.goto(live_stack.url + "/admin/flags/flag/")
    page.check(f"input[name=_selected_action][value='{flag.pk}']")
    page.select_option("select[name=action]", "disable_in_production")
    page.click("button[name=index]")
    page.wait_for_selector("form#reason-action")
    page.fill("input[name=reason]", "checkout 5xx after deploy 812")
    page.click("form#reason-action input[type=submit]")
    page.wait_for_selector("ul.messagelist")
    assert "1 flag(s) changed" in page.inner_text("ul.messagelist")
    states = dict(FlagEnvironment.objects.filter(flag=flag).values_list("environment", "enabled"))
    assert (states["production"], states["staging"]) == (False, True)
    assert FlagEnvironment.objects.get(flag__key="dark-mode", environment="production").enabled
    change = FlagChange.objects.get(action="disabled")
    assert (change.source, change.actor, change.reason) == ("admin", root, "checkout 5xx after deploy 812")
    page.goto(live_stack.url + f"/admin/flags/flag/{flag.pk}/change/")
    assert "checkout 5xx after deploy 812" in page.inner_text("body")  # the read-only history
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    page.screenshot(path=str(ROOT / "test-artifacts" / "flags-admin-history.png"), full_page=True)


def test_dashboard_kill_button_needs_a_reason_and_disables_the_flag(live_stack, page, login, project, alice):
    grant(alice, "flags.change_flag")
    make_flag(project, "new-checkout")
    login(page, alice)
    page.goto(live_stack.url + f"/projects/{project.id}/flags/new-checkout/")
    section = page.locator("section[data-env=production]")
    section.locator("form.kill button").click()  # no reason: the browser's `required` stops it
    assert FlagEnvironment.objects.get(flag__key="new-checkout", environment="production").enabled
    section.locator("form.kill input[name=reason]").fill("error spike on checkout")
    section.locator("form.kill button").click()
    page.wait_for_selector("section[data-env=production].is-off")
    assert not FlagEnvironment.objects.get(flag__key="new-checkout", environment="production").enabled
    assert "error spike on checkout" in page.inner_text("table.history")
    page.screenshot(path=str(ROOT / "test-artifacts" / "flags-dashboard-killed.png"), full_page=True)
