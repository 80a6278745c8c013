"""GET/POST /api/0/projects/<id>/members/ and DELETE …/members/<username>/: setting up a team by script."""

import json

import pytest

from projects.tokens import create_token
from tests.factories import grant, make_project, make_user

pytestmark = pytest.mark.django_db


def call(client, method, url, token, body=None):
    data = json.dumps(body) if body is not None else ""
    return getattr(client, method)(url, data, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def admin_token(alice):
    return create_token(grant(alice, "projects.change_project"))


def members_url(project) -> str:
    return f"/api/0/projects/{project.id}/members/"


def test_members_list_the_members(client, project, bob):
    body = call(client, "get", members_url(project), create_token(bob)).json()
    assert [m["username"] for m in body["results"]] == ["alice", "bob"]
    assert body["results"][1] == {"username": "bob", "email": "bob@example.com", "name": ""}


def test_adding_by_username_or_email_and_again_is_harmless(client, project, admin_token):
    dave, erin = make_user("dave"), make_user("erin")
    added = call(client, "post", members_url(project), admin_token, {"username": "dave"})
    assert (added.status_code, added.json()["username"]) == (201, "dave")
    assert call(client, "post", members_url(project), admin_token, {"email": "ERIN@example.com"}).status_code == 201
    assert call(client, "post", members_url(project), admin_token, {"username": "dave"}).status_code == 200
    assert set(project.members.values_list("username", flat=True)) == {"alice", "bob", dave.username, erin.username}


def test_removing_a_member_and_then_again_is_a_404(client, project, bob, admin_token):
    url = members_url(project) + "bob/"
    assert call(client, "delete", url, admin_token).status_code == 204
    assert not project.members.filter(pk=bob.pk).exists()
    assert call(client, "delete", url, admin_token).status_code == 404


@pytest.mark.parametrize("body", [{}, {"username": 3}, {"username": "nobody"}, {"email": "no@where.test"}])
def test_adding_someone_unknown_is_a_400(client, project, admin_token, body):
    assert call(client, "post", members_url(project), admin_token, body).status_code == 400
    assert project.members.count() == 2


def test_changing_members_needs_change_project(client, project, bob, charlie):
    token = create_token(bob)
    assert call(client, "post", members_url(project), token, {"username": "charlie"}).status_code == 403
    assert call(client, "delete", members_url(project) + "alice/", token).status_code == 403
    assert set(project.members.values_list("username", flat=True)) == {"alice", "bob"}


def test_another_projects_members_are_a_404(client, project, charlie):
    token = create_token(grant(charlie, "projects.change_project"))
    assert call(client, "get", members_url(project), token).status_code == 404
    assert call(client, "post", members_url(project), token, {"username": "charlie"}).status_code == 404
    assert call(client, "delete", members_url(project) + "bob/", token).status_code == 404
    assert not project.members.filter(pk=charlie.pk).exists()


def test_a_member_of_another_project_is_not_removed_from_this_one(client, alice, charlie):
    mine, theirs = make_project("mine", members=[alice]), make_project("theirs", members=[charlie])
    token = create_token(grant(alice, "projects.change_project"))
    assert call(client, "delete", members_url(mine) + "charlie/", token).status_code == 404
    assert theirs.members.filter(pk=charlie.pk).exists()


def test_without_a_token_it_is_a_401(client, project):
    assert client.get(members_url(project)).status_code == 401
