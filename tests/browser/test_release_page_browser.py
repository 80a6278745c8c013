"""In a real browser: a release's page after the real sentry-sdk sent its errors and sessions
through the live server and worker: crash-free rates, charts drawn, new groups, commits."""

import subprocess
import sys

import pytest
from django.db.models import Sum
from django.utils import timezone

from tests.live import ROOT, wait_for
from triage.attribution.commits import Commit, register_release
from triage.models import ErrorGroup, ReleaseHealthMinute

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def sessions(project) -> int:
    return ReleaseHealthMinute.objects.filter(project=project).aggregate(n=Sum("sessions"))["n"] or 0


def test_a_release_page_shows_what_the_release_broke_and_how_healthy_it_is(live_stack, page, login, alice, project, tmp_path):
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    dsn = project.keys.first().dsn(live_stack.url)
    subprocess.run([sys.executable, str(ROOT / "tests/apps/health_app.py"), dsn, "shop@2.1.0", "production",
                    "17", "3", "2", "ann:crashed", "bob:ok", "cid:errored"], check=True, timeout=60)
    wait_for(lambda: sessions(project) == 25, timeout=60, what="the sessions digested")
    wait_for(lambda: ErrorGroup.objects.filter(project=project).count() >= 3, timeout=60, what="the errors grouped")
    register_release(project, "shop@2.1.0", [Commit("9fceb02d0ae598e95dc970b74767f19372d61af8", "bob@example.com", "Bob",
                                                    "Checkout: apply coupons before tax", files=("shop/checkout.py",))],
                     now=timezone.now())

    login(page, alice)
    page.goto(f"{live_stack.url}/releases/?project={project.id}")
    page.click("text=shop@2.1.0")
    page.wait_for_selector("#new-groups")
    assert page.inner_text(".crash-free-sessions") == "84.00 %"  # 21 of 25 sessions did not crash
    assert page.inner_text(".crash-free-users") == "66.67 %"  # ann's crashed, bob's and cid's did not
    page.wait_for_selector("#release-events-chart[data-loaded='24h'] .main-svg")
    page.wait_for_selector("#release-health-chart[data-loaded='24h'] .main-svg")
    new_groups = page.inner_text("#new-groups")
    assert "RuntimeError: checkout blew up" in new_groups and "ValueError: bad coupon" in new_groups
    assert "Checkout: apply coupons before tax" in page.inner_text("#commits")
    page.screenshot(path=str(tmp_path / "release.png"), full_page=True)

    page.locator("#release-health-chart").locator("xpath=ancestor::section").locator("button[data-range='7d']").click()
    page.wait_for_selector("#release-health-chart[data-loaded='7d'] .main-svg")
    assert page.locator("#release-health-chart .legendtext", has_text="crash-free users").count() == 1
    assert errors == []
