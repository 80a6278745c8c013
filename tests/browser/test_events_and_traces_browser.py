"""In a real browser: a group's events page by page, filtered, and from an event to its trace."""

import pytest

from tests.browser.sending import send_events
from tests.live import wait_for
from tests.triage.helpers import crash
from triage.models import ErrorEvent, ErrorGroup

pytestmark = [pytest.mark.browser, pytest.mark.integration]
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def test_a_developer_pages_through_a_groups_events_and_follows_a_trace(live_stack, page, login, alice, project, tmp_path):
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    price = [crash("price", environment="staging" if i % 4 == 0 else "production", user={"id": f"u-{i}"},
                   contexts={"trace": {"trace_id": TRACE if i == 59 else f"{i:032x}"}}) for i in range(60)]
    total = [crash("total", contexts={"trace": {"trace_id": TRACE}}) for _ in range(2)]
    send_events(live_stack.url, project, price + total)
    wait_for(lambda: ErrorEvent.objects.filter(project=project).count() == 62, timeout=60, what="62 events digested")
    group = ErrorGroup.objects.get(project=project, culprit="shop.pricing in price")

    login(page, alice)
    page.goto(f"{live_stack.url}/groups/{group.id}/")
    page.click("a.all-events")
    page.wait_for_selector("table.events-list")
    assert page.locator("tr.event-row").count() == 50
    page.screenshot(path=str(tmp_path / "group-events.png"), full_page=True)
    page.click("a[rel=next]")
    page.wait_for_selector("a[rel=prev]")
    assert page.locator("tr.event-row").count() == 10
    page.click("a[rel=prev]")
    page.wait_for_selector("a[rel=next]")
    assert page.locator("tr.event-row").count() == 50

    page.select_option("select[name=environment]", "staging")  # submits itself
    page.wait_for_url("**environment=staging**")
    assert page.locator("tr.event-row").count() == 15
    page.fill("input[name=query]", "u-59")
    page.click("text=Apply")
    page.wait_for_url("**query=u-59**")
    assert page.locator("tr.event-row").count() == 0  # u-59 was sent to production
    page.click("text=Clear filters")
    page.fill("input[name=query]", "u-59")
    page.click("text=Apply")
    page.wait_for_selector("tr.event-row")
    page.click("tr.event-row a.trace-link")
    page.wait_for_selector("table.trace-timeline")
    assert page.locator("tr.trace-event").count() == 3
    assert "3 events in 2 groups" in page.inner_text("main")
    page.screenshot(path=str(tmp_path / "trace.png"), full_page=True)
    assert errors == []
