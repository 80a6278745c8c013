"""A new user, in a real browser: log in, create a project, copy its DSN."""

import re

import pytest
from django.contrib.auth.models import Permission

from projects.models import Project
from tests.live import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_anonymous_visitor_is_sent_to_the_login_page(live_stack, page):
    page.goto(live_stack.url + "/projects/")
    assert "/login/" in page.url


def test_user_creates_a_project_and_sees_its_dsn(live_stack, page, login, alice):
    alice.user_permissions.add(Permission.objects.get(codename="add_project"))
    login(page, alice)
    page.goto(live_stack.url + "/projects/")
    page.fill("input[name=name]", "checkout-service")
    page.click("text=Create project")
    page.wait_for_selector("code.dsn")
    project = Project.objects.get(name="checkout-service")
    dsn = page.inner_text("code.dsn")
    assert re.fullmatch(rf"http://[0-9a-f]{{32}}@127\.0\.0\.1:\d+/{project.id}", dsn)
    assert alice in project.members.all()
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    page.screenshot(path=str(ROOT / "test-artifacts" / "project-settings.png"), full_page=True)
