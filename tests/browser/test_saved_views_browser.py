"""In a real browser: filter the group list in place, save it under a name, find it in the nav,
open it, delete it."""

import pytest

from tests.browser.sending import send_events
from tests.live import wait_for
from tests.triage.helpers import crash
from triage.models import ErrorGroup, SavedView

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_a_developer_saves_a_filtered_list_and_finds_it_in_the_nav(live_stack, page, login, alice, project, tmp_path):
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    send_events(live_stack.url, project, [crash("price", environment="staging"), crash("total", environment="production")])
    wait_for(lambda: ErrorGroup.objects.filter(project=project).count() == 2, timeout=60, what="two groups")

    login(page, alice)
    page.goto(f"{live_stack.url}/groups/")
    page.select_option("select[name=environment]", "staging")  # htmx swaps the rows and the address
    page.wait_for_url("**environment=staging**")
    page.locator("tr.group-row").first.wait_for()
    assert page.locator("tr.group-row").count() == 1
    page.fill(".save-view input[name=name]", "Staging <b>errors</b>")
    page.click(".save-view button[type=submit]")
    page.wait_for_selector("text=Saved the view")
    view = SavedView.objects.get()
    assert (view.owner, view.project, view.shared) == (alice, project, False)
    assert "environment=staging" in view.query and f"project={project.id}" in view.query

    page.goto(f"{live_stack.url}/releases/")
    page.click("details.saved-views summary")
    link = page.locator("a.saved-view", has_text="Staging <b>errors</b>")  # the name, as text
    link.wait_for()
    page.screenshot(path=str(tmp_path / "saved-views-nav.png"), full_page=True)
    link.click()
    page.wait_for_url("**environment=staging**")
    assert page.locator("tr.group-row").count() == 1
    assert "shop.pricing in price" in page.inner_text("tr.group-row")

    page.click("details.saved-views summary")
    page.click("text=Manage saved views…")
    page.click("tr.saved-view-row button.danger")
    page.wait_for_selector("text=No saved views yet.")
    assert not SavedView.objects.exists()
    assert errors == []
