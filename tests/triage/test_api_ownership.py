"""GET/PUT /api/0/projects/<id>/ownership/: the rules and auto-assign, as the settings page has them."""

import json

import pytest

from projects.tokens import create_token
from tests.factories import grant
from triage.models import ProjectOwnership

pytestmark = pytest.mark.django_db


def call(client, method, project, token, body=None):
    data = json.dumps(body) if body is not None else ""
    return getattr(client, method)(f"/api/0/projects/{project.id}/ownership/", data, content_type="application/json",
                                   HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def admin_token(alice):
    return create_token(grant(alice, "projects.change_project"))


def test_put_stores_the_rules_and_answers_them_with_their_problems(client, project, alice, admin_token):
    response = call(client, "put", project, admin_token, {"rules": "/shop/ @bob\n* @ghost\n", "auto_assign": True})
    assert response.status_code == 200
    body = response.json()
    assert (body["rules"], body["auto_assign"], body["updated_by"]) == ("/shop/ @bob\n* @ghost\n", True, "alice")
    assert body["problems"] == ["@ghost (line 2) matches no member of shop: ignored"]
    stored = ProjectOwnership.objects.get(project=project)
    assert (stored.rules, stored.auto_assign, stored.updated_by) == ("/shop/ @bob\n* @ghost\n", True, alice)


def test_a_field_left_out_keeps_its_value(client, project, admin_token):
    call(client, "put", project, admin_token, {"rules": "* @bob", "auto_assign": True})
    assert call(client, "put", project, admin_token, {"auto_assign": False}).json()["rules"] == "* @bob"


def test_members_read_it_and_a_project_without_rules_has_none(client, project, bob):
    body = call(client, "get", project, create_token(bob)).json()
    assert body == {"rules": "", "auto_assign": False, "updated_at": None, "updated_by": None, "problems": []}


@pytest.mark.parametrize("body", [{"rules": 3}, {"auto_assign": "yes"}, {"rules": "x" * (3 * 1024 * 1024 + 1)}])
def test_bad_bodies_are_400_and_store_nothing(client, project, admin_token, body):
    assert call(client, "put", project, admin_token, body).status_code == 400
    assert not ProjectOwnership.objects.filter(project=project).exists()


def test_changing_needs_change_project_and_membership(client, project, bob, charlie):
    assert call(client, "put", project, create_token(bob), {"rules": "* @bob"}).status_code == 403
    outsider = create_token(grant(charlie, "projects.change_project"))
    assert call(client, "put", project, outsider, {"rules": "* @charlie"}).status_code == 404
    assert call(client, "get", project, outsider).status_code == 404
    assert not ProjectOwnership.objects.filter(project=project).exists()
