"""The read-only JSON API: bearer tokens, filters, and nobody sees another project's data."""

import json

import pytest

from projects.tokens import create_token
from tests.factories import make_event, make_project
from tests.triage.helpers import old_payloads, store_old_payload
from tests.triage.pipeline import drain, send_events
from triage.models import ErrorGroup

pytestmark = pytest.mark.django_db


@pytest.fixture
def groups(project, redis_client):
    checkout = make_event(release="shop@1.4.0", environment="production")
    checkout["contexts"]["flags"]["values"] = [{"flag": "new-checkout", "result": True}]
    cart = make_event(release="shop@1.5.0", environment="staging")
    cart["exception"]["values"][-1]["stacktrace"]["frames"][-1].update(module="shop.cart", function="total")
    cart["contexts"]["flags"]["values"] = [{"flag": "new-checkout", "result": False}]
    send_events(project, [checkout, cart])
    drain(redis_client)
    return ErrorGroup.objects.filter(project=project)


def get(client, url, token):
    return client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_requires_a_bearer_token(client, project):
    response = client.get(f"/api/0/projects/{project.id}/groups/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert get(client, f"/api/0/projects/{project.id}/groups/", "sy_not-a-token").status_code == 401


def test_lists_groups_with_counts_releases_and_flags(client, alice, project, groups):
    body = get(client, f"/api/0/projects/{project.id}/groups/", create_token(alice)).json()
    assert len(body["results"]) == 2
    checkout = next(g for g in body["results"] if g["culprit"] == "shop.pricing in price")
    assert checkout["count"] == 1
    assert checkout["releases"] == [{"version": "shop@1.4.0", "count": 1}]
    assert checkout["flags"] == [{"key": "new-checkout", "value": "true", "count": 1}]
    assert {"id", "title", "first_seen", "last_seen", "status", "assignee"} <= checkout.keys()


@pytest.mark.parametrize(
    "query,culprits",
    [
        ("release=shop@1.5.0", ["shop.cart in total"]),
        ("environment=production", ["shop.pricing in price"]),
        ("flag=new-checkout:true", ["shop.pricing in price"]),
        ("flag=new-checkout:false", ["shop.cart in total"]),
        ("status=resolved", []),
        ("assignee=none", ["shop.cart in total", "shop.pricing in price"]),
    ],
)
def test_filters_groups(client, alice, project, groups, query, culprits):
    body = get(client, f"/api/0/projects/{project.id}/groups/?{query}", create_token(alice)).json()
    assert sorted(g["culprit"] for g in body["results"]) == culprits


def test_filters_by_assignee(client, alice, bob, project, groups):
    groups.filter(culprit="shop.cart in total").update(assignee=bob)
    body = get(client, f"/api/0/projects/{project.id}/groups/?assignee=bob", create_token(alice)).json()
    assert [g["assignee"] for g in body["results"]] == ["bob"]


def test_malformed_filters_are_400(client, alice, project):
    token = create_token(alice)
    assert get(client, f"/api/0/projects/{project.id}/groups/?flag=no-colon", token).status_code == 400
    assert get(client, f"/api/0/projects/{project.id}/groups/?status=sleeping", token).status_code == 400
    assert get(client, f"/api/0/projects/{project.id}/groups/?page=999", token).status_code == 400


def test_lists_a_groups_events_with_their_payload(client, alice, groups):
    group = groups.get(culprit="shop.pricing in price")
    body = get(client, f"/api/0/groups/{group.id}/events/", create_token(alice)).json()
    [event] = body["results"]
    assert event["release"] == "shop@1.4.0"
    assert event["flags"] == {"new-checkout": "true"}
    assert event["payload"]["exception"]["values"][-1]["type"] == "ValueError"


@pytest.mark.parametrize("name", list(old_payloads()))
def test_events_stored_with_deep_nesting_or_lone_surrogates_are_served_cut_and_replaced(client, alice, groups, name):
    group = groups.get(culprit="shop.pricing in price")
    store_old_payload(group, old_payloads()[name])
    response = get(client, f"/api/0/groups/{group.id}/events/", create_token(alice))
    assert response.status_code == 200
    assert "\\ud800" not in response.content.decode()
    [event] = response.json()["results"]
    assert event["payload"]["exception"]["values"][-1]["type"] == "ValueError"
    if "nested" in name:
        assert "…" in json.dumps(event["payload"], ensure_ascii=False)


def test_other_peoples_projects_and_groups_are_404(client, charlie, project, groups):
    token = create_token(charlie)
    assert get(client, f"/api/0/projects/{project.id}/groups/", token).status_code == 404
    assert get(client, f"/api/0/groups/{groups.first().id}/events/", token).status_code == 404


def test_member_of_one_project_sees_only_that_project(client, charlie, project, groups):
    own = make_project("billing", members=[charlie])
    token = create_token(charlie)
    assert get(client, f"/api/0/projects/{own.id}/groups/", token).json()["results"] == []
    assert get(client, f"/api/0/projects/{project.id}/groups/", token).status_code == 404


def test_revoked_token_is_refused(client, alice, project):
    from django.utils import timezone

    token = create_token(alice)
    alice.api_tokens.update(revoked_at=timezone.now())
    assert get(client, f"/api/0/projects/{project.id}/groups/", token).status_code == 401
