"""The Ownership section of the project settings, and the suggestion on the group page with its
one-click accept: POST with CSRF, the permission, members only."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tests.factories import grant
from tests.triage.helpers import crash, push
from triage.attribution import owners
from triage.models import ErrorGroup, GroupActivity, ProjectOwnership

pytestmark = pytest.mark.django_db


def settings_url(project) -> str:
    return f"/projects/{project.id}/settings/"


def ownership_url(project) -> str:
    return f"/projects/{project.id}/ownership/"


@pytest.fixture
def admin(alice):
    return grant(alice, "projects.change_project")


def test_the_settings_page_shows_the_rules_and_warns_about_owners_matching_nobody(client, project, admin):
    owners.save_ownership(project, rules="/shop/ @bob\n* @ghost\n", auto_assign=True, actor=admin, now=timezone.now())
    client.force_login(admin)
    page = client.get(settings_url(project)).content.decode()
    assert 'id="ownership"' in page and "/shop/ @bob" in page
    assert "@ghost (line 2) matches no member of shop: ignored" in page
    assert 'name="auto_assign" checked' in page


def test_saving_the_rules_and_auto_assign(client, project, admin):
    client.force_login(admin)
    response = client.post(ownership_url(project), {"rules": "/shop/ @bob\r\n", "auto_assign": "on"})
    assert response.status_code == 302 and response["Location"].endswith("/settings/#ownership")
    stored = ProjectOwnership.objects.get(project=project)
    assert (stored.rules, stored.auto_assign, stored.updated_by) == ("/shop/ @bob\n", True, admin)


def test_an_uploaded_codeowners_file_replaces_the_rules(client, project, admin):
    client.force_login(admin)
    upload = SimpleUploadedFile("CODEOWNERS", "\ufeff# team\n*.py @bob\n".encode())
    client.post(ownership_url(project), {"rules": "ignored", "codeowners": upload})
    assert ProjectOwnership.objects.get(project=project).rules == "# team\n*.py @bob\n"


@pytest.mark.parametrize("content", [b"\xff\xfe* @bob", b"* @bob\x00"])
def test_a_file_that_is_not_text_is_refused(client, project, admin, content):
    client.force_login(admin)
    response = client.post(ownership_url(project), {"codeowners": SimpleUploadedFile("CODEOWNERS", content)}, follow=True)
    assert "CODEOWNERS file is not" in response.content.decode()
    assert not ProjectOwnership.objects.filter(project=project).exists()


def test_saving_needs_the_permission_membership_a_post_and_csrf(client, project, bob, charlie):
    client.force_login(bob)
    assert client.post(ownership_url(project), {"rules": "* @bob"}).status_code == 403
    client.force_login(grant(charlie, "projects.change_project"))
    assert client.post(ownership_url(project), {"rules": "* @charlie"}).status_code == 404
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(grant(bob, "projects.change_project"))
    assert strict.post(ownership_url(project), {"rules": "* @bob"}).status_code == 403
    assert strict.get(ownership_url(project)).status_code == 405
    assert not ProjectOwnership.objects.filter(project=project).exists()


@pytest.fixture
def suggested_group(project, redis_client):
    owners.save_ownership(project, rules="/shop/ @bob\n", auto_assign=False, actor=None, now=timezone.now())
    push(project, redis_client, [crash("apply_discount", "shop.checkout_v2", "CheckoutError")])
    return ErrorGroup.objects.get(project=project)


def test_the_group_page_shows_the_suggestion_and_one_click_assigns_it(client, alice, bob, suggested_group):
    client.force_login(grant(alice, "triage.change_errorgroup"))
    page = client.get(f"/groups/{suggested_group.id}/").content.decode()
    assert "Suggested: <b>bob</b>" in page and "CODEOWNERS: /shop/ @bob" in page and "Assign to bob" in page
    response = client.post(f"/groups/{suggested_group.id}/accept-suggestion/")
    assert response.status_code == 302
    assert ErrorGroup.objects.get(pk=suggested_group.pk).assignee == bob
    activity = GroupActivity.objects.filter(group=suggested_group).latest("id")
    assert (activity.kind, activity.actor, activity.data["source"]) == ("assigned", alice, "ownership")
    assert "Assign to bob" not in client.get(f"/groups/{suggested_group.id}/").content.decode()


def test_accepting_needs_the_permission_and_membership(client, bob, charlie, suggested_group):
    client.force_login(bob)
    assert "Assign to bob" not in client.get(f"/groups/{suggested_group.id}/").content.decode()
    assert client.post(f"/groups/{suggested_group.id}/accept-suggestion/").status_code == 403
    client.force_login(grant(charlie, "triage.change_errorgroup"))
    assert client.post(f"/groups/{suggested_group.id}/accept-suggestion/").status_code == 404
    assert ErrorGroup.objects.get(pk=suggested_group.pk).assignee is None


def test_accepting_when_nobody_is_suggested_any_more_says_so(client, alice, project, suggested_group):
    owners.save_ownership(project, rules="", auto_assign=False, actor=None, now=timezone.now())
    client.force_login(grant(alice, "triage.change_errorgroup"))
    response = client.post(f"/groups/{suggested_group.id}/accept-suggestion/", follow=True)
    assert "Nobody is suggested" in response.content.decode()
    assert ErrorGroup.objects.get(pk=suggested_group.pk).assignee is None
