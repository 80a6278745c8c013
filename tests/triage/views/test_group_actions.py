"""Triage buttons: POST only, CSRF-checked, triage.change_errorgroup, members of the group's project only."""

import pytest
from django.test import Client

from tests.factories import grant, make_event
from tests.triage.helpers import push
from triage.models import ErrorGroup, GroupActivity

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(project, redis_client):
    push(project, redis_client, [make_event(release="shop@1.4.0")])
    return ErrorGroup.objects.get(project=project)


def fresh(group):
    return ErrorGroup.objects.get(pk=group.pk)


@pytest.mark.parametrize(
    ("action", "data", "status"),
    [("resolve", {}, "resolved"), ("resolve-next-release", {}, "resolved"), ("ignore", {"more_events": "5"}, "ignored")],
)
def test_triager_changes_the_status_and_returns_to_the_group(client, triager, group, action, data, status):
    client.force_login(triager)
    response = client.post(f"/groups/{group.id}/{action}/", data)
    assert response.status_code == 302 and response["Location"] == f"/groups/{group.id}/"
    assert fresh(group).status == status
    assert GroupActivity.objects.get(group=group).actor == triager


def test_ignore_until_a_date_and_reopen(client, triager, group):
    client.force_login(triager)
    client.post(f"/groups/{group.id}/ignore/", {"until": "2999-01-01T10:00"})
    assert fresh(group).ignore_until.year == 2999
    client.post(f"/groups/{group.id}/reopen/")
    assert (fresh(group).status, fresh(group).ignore_until) == ("unresolved", None)


def test_ignore_until_the_past_is_refused_with_a_message(client, triager, group):
    client.force_login(triager)
    response = client.post(f"/groups/{group.id}/ignore/", {"until": "2001-01-01T10:00"}, follow=True)
    assert fresh(group).status == "unresolved"
    assert "in the future" in response.content.decode()


def test_ignore_for_a_count_past_the_database_column_is_refused_with_a_message(client, triager, group):
    client.force_login(triager)
    response = client.post(f"/groups/{group.id}/ignore/", {"more_events": str(10**30)}, follow=True)
    assert fresh(group).status == "unresolved"
    assert "1,000,000,000 more events" in response.content.decode()


def test_assign_to_a_member_then_to_nobody(client, triager, bob, group):
    client.force_login(triager)
    client.post(f"/groups/{group.id}/assign/", {"assignee": "bob"})
    assert fresh(group).assignee == bob
    client.post(f"/groups/{group.id}/assign/", {"assignee": ""})
    assert fresh(group).assignee is None


def test_assigning_someone_outside_the_project_is_refused(client, triager, charlie, group):
    client.force_login(triager)
    response = client.post(f"/groups/{group.id}/assign/", {"assignee": "charlie"}, follow=True)
    assert fresh(group).assignee is None
    assert "charlie is not a member of shop" in response.content.decode()


def test_without_the_permission_the_post_is_forbidden(client, bob, group):
    client.force_login(bob)
    for action in ("resolve", "resolve-next-release", "ignore", "reopen", "assign"):
        assert client.post(f"/groups/{group.id}/{action}/").status_code == 403, action
    assert fresh(group).status == "unresolved"


def test_a_non_member_gets_404_even_with_the_permission(client, charlie, group):

    client.force_login(grant(charlie, "triage.change_errorgroup"))
    assert client.post(f"/groups/{group.id}/resolve/").status_code == 404
    assert fresh(group).status == "unresolved"


def test_get_is_not_allowed(client, triager, group):
    client.force_login(triager)
    assert client.get(f"/groups/{group.id}/resolve/").status_code == 405


def test_anonymous_is_sent_to_log_in(client, group):
    response = client.post(f"/groups/{group.id}/resolve/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_csrf_is_enforced(triager, group):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(triager)
    assert browser.post(f"/groups/{group.id}/resolve/").status_code == 403
    assert fresh(group).status == "unresolved"
