"""In a real browser, with two projects: the nav's Releases and Flag errors open on the project the
user was looking at, and the README's compare URL without `project=` shows the comparison."""

import pytest

from tests.browser.sending import send_events
from tests.factories import make_project
from tests.live import wait_for
from tests.triage.helpers import crash
from triage.models import Release

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_pages_without_a_project_open_on_the_one_being_looked_at(live_stack, page, login, alice, project, tmp_path):
    api = make_project("api", members=[alice])  # alphabetically first, and empty
    send_events(live_stack.url, project, [crash("price", release="shop@1.4.0"), crash("total", release="shop@1.5.0")])
    wait_for(lambda: Release.objects.filter(project=project).count() == 2, what="shop's releases")
    login(page, alice)

    page.goto(f"{live_stack.url}/groups/?project={project.id}")
    page.click("header nav >> text=Releases")
    page.wait_for_url("**/releases/")
    assert page.inner_text("h1") == "Releases of shop"

    page.goto(live_stack.url + "/releases/compare/?base=shop@1.4.0&target=shop@1.5.0")
    assert "shop@1.4.0 → shop@1.5.0" in page.inner_text("h1")
    assert "price" in page.inner_text("main")
    page.screenshot(path=str(tmp_path / "compare-without-project.png"), full_page=True)

    page.goto(f"{live_stack.url}/projects/{api.id}/flags/")
    page.click("header nav >> text=Flag errors")
    page.wait_for_url("**/flag-errors/")
    assert "api" in page.inner_text("h1")
    page.screenshot(path=str(tmp_path / "flag-errors-remembered.png"), full_page=True)

    response = page.goto(live_stack.url + "/releases/compare/?base=shop@1.4.0&target=shop@9.9.9")
    assert response.status == 404
    assert "Pick two releases of shop" in page.inner_text("h1")
    page.screenshot(path=str(tmp_path / "compare-unknown-release.png"), full_page=True)
