"""PUT /api/0/groups/<id>/: the same triage changes as the dashboard, through triage.actions."""

import json

import pytest

from projects.tokens import create_token
from tests.factories import grant, make_event
from tests.triage.helpers import push
from triage.models import ErrorGroup, GroupActivity

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(project, redis_client):
    push(project, redis_client, [make_event(release="shop@1.4.0")])
    return ErrorGroup.objects.get(project=project)


def put(client, group, body, token):
    return client.put(f"/api/0/groups/{group.id}/", json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_resolve_in_next_release_and_assign_in_one_call(client, triager, bob, group):
    response = put(client, group, {"status": "resolved_in_next_release", "assignee": "bob"}, create_token(triager))
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["assignee"]) == ("resolved", "bob")
    assert sorted(GroupActivity.objects.filter(group=group).values_list("kind", flat=True)) == ["assigned", "resolved_in_next_release"]


def test_ignore_until_a_count_then_reopen(client, triager, group):
    token = create_token(triager)
    put(client, group, {"status": "ignored", "ignore_count": 3}, token)
    assert ErrorGroup.objects.get(pk=group.pk).ignore_until_count == group.event_count + 3
    assert put(client, group, {"status": "unresolved"}, token).json()["status"] == "unresolved"


def test_bad_input_is_a_400_and_changes_nothing(client, triager, group):
    token = create_token(triager)
    assert put(client, group, {"status": "fixed"}, token).status_code == 400
    assert put(client, group, {"assignee": "charlie"}, token).status_code == 400
    assert put(client, group, {"status": "ignored", "ignore_until": "2001-01-01T00:00:00"}, token).status_code == 400
    assert put(client, group, {"status": "resolved", "assignee": "charlie"}, token).status_code == 400
    assert ErrorGroup.objects.get(pk=group.pk).status == "unresolved"


def test_without_the_permission_it_is_a_403(client, bob, group):
    assert put(client, group, {"status": "resolved"}, create_token(bob)).status_code == 403


def test_another_projects_group_is_a_404(client, charlie, group):
    assert put(client, group, {"status": "resolved"}, create_token(grant(charlie, "triage.change_errorgroup"))).status_code == 404
    assert ErrorGroup.objects.get(pk=group.pk).status == "unresolved"


def test_without_a_token_it_is_a_401(client, group):
    assert client.put(f"/api/0/groups/{group.id}/", "{}", content_type="application/json").status_code == 401
