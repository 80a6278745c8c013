"""A new project in a real browser: its start page waits for the first event without reloading
itself, then opens the project's groups; an empty project in the list shows its DSN and snippet."""

import re

import pytest
from django.contrib.auth.models import Permission

from projects.models import Project
from tests.browser.sending import send_events
from tests.factories import make_project
from tests.live import wait_for
from tests.triage.helpers import crash
from triage.models import ErrorGroup

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.fixture
def busy(live_stack, alice):
    """Another of Alice's projects, with a group: she has groups, only not in the new project."""
    busy = make_project("busy", members=[alice])
    send_events(live_stack.url, busy, [crash("busy_function")])
    wait_for(lambda: ErrorGroup.objects.filter(project=busy).exists(), what="busy's group")
    return busy


def listened(page):
    """Waits for one answer to the start page's listener."""
    with page.expect_response(lambda r: r.request.headers.get("hx-target") == "first-run", timeout=30_000):
        pass


def test_a_new_project_waits_for_its_first_event_then_opens_its_groups(live_stack, page, login, alice, busy, tmp_path):
    alice.user_permissions.add(Permission.objects.get(codename="add_project"))
    login(page, alice)
    page.goto(live_stack.url + "/projects/")
    page.fill("input[name=name]", "checkout-service")
    page.click("text=Create project")
    project = wait_for(lambda: Project.objects.filter(name="checkout-service").first(), what="the project")
    page.wait_for_url(f"**/projects/{project.id}/start/")
    assert "Send checkout-service's first event" in page.inner_text("h1")
    assert project.keys.first().public_key in page.inner_text("pre.snippet")
    page.screenshot(path=str(tmp_path / "start-waiting.png"), full_page=True)

    page.evaluate("window.stillTheSamePage = true")
    listened(page)
    listened(page)
    assert page.evaluate("window.stillTheSamePage === true")  # the listener asked twice and nothing reloaded

    send_events(live_stack.url, project, [crash("first_call", "checkout.cart")])
    page.wait_for_url(f"**/groups/?project={project.id}", timeout=30_000)
    page.wait_for_selector("text=checkout.cart in first_call")
    page.screenshot(path=str(tmp_path / "start-arrived.png"), full_page=True)

    page.goto(f"{live_stack.url}/projects/{project.id}/start/")  # a busy project's start page no longer waits
    assert "first event" not in page.inner_text("main")
    assert page.locator("#first-run").count() == 0
    page.click("text=open its groups")
    page.wait_for_url(f"**/groups/?project={project.id}")


def test_an_empty_project_in_the_list_shows_its_dsn_and_snippet(live_stack, page, login, alice, project, busy, tmp_path):
    login(page, alice)
    page.goto(f"{live_stack.url}/groups/")
    page.select_option("select[name=project]", str(project.id))  # from the filters, as a user gets there
    page.wait_for_url(re.compile(rf"/groups/\?.*\bproject={project.id}\b"))
    page.wait_for_selector("pre.snippet")
    assert "No groups match" not in page.inner_text("main")
    assert f'sentry_sdk.init(dsn="http://{project.keys.first().public_key}@' in page.inner_text("pre.snippet")
    page.screenshot(path=str(tmp_path / "empty-project-list.png"), full_page=True)
