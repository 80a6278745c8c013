"""Bulk actions in the group list: POST, CSRF, the triage permission, each group checked on its own
(another project's or a missing one is reported, never stops the rest), one activity row per group."""

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import make_project
from tests.triage.helpers import crash, push
from triage import actions
from triage.models import ErrorGroup, GroupActivity

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(project, redis_client):
    push(project, redis_client, [crash(site) for site in ("price", "tax", "tax", "ship", "ship", "ship")])
    return {g.culprit.rsplit(" ", 1)[-1]: g for g in ErrorGroup.objects.filter(project=project)}


def post(client, action, groups, **extra):
    return client.post("/groups/bulk/", {"action": action, "group": [str(g) for g in groups], **extra}, follow=True)


def statuses(groups) -> dict[str, str]:
    return {name: ErrorGroup.objects.get(id=g.id).status for name, g in groups.items()}


def test_resolve_many_writes_one_activity_row_per_group(client, triager, three):
    client.force_login(triager)
    response = post(client, "resolve", [three["price"].id, three["tax"].id], next="/groups/?sort=events")
    assert response.redirect_chain[-1][0] == "/groups/?sort=events"
    assert statuses(three) == {"price": "resolved", "tax": "resolved", "ship": "unresolved"}
    assert sorted(GroupActivity.objects.filter(kind="resolved", actor=triager).values_list("group_id", flat=True)) == sorted(
        [three["price"].id, three["tax"].id])
    assert "Resolved 2 groups." in response.content.decode()


def test_a_bad_id_does_not_sink_the_rest(client, triager, three, other_project):
    foreign = ErrorGroup.objects.get(project=other_project)
    client.force_login(triager)
    response = post(client, "resolve", [three["price"].id, foreign.id, 999999, three["ship"].id])
    html = response.content.decode()
    assert statuses(three) == {"price": "resolved", "tax": "unresolved", "ship": "resolved"}
    assert ErrorGroup.objects.get(id=foreign.id).status == "unresolved"  # another project's: untouched
    assert f"Not resolved: #{foreign.id}, #999999: no such group." in html  # existence not disclosed
    assert "Resolved 2 groups." in html


def test_groups_already_in_the_state_are_counted_apart(client, triager, three):
    actions.resolve(three["price"], actor=triager, now=timezone.now())
    client.force_login(triager)
    html = post(client, "resolve", [three["price"].id, three["tax"].id]).content.decode()
    assert "Resolved 1 group; 1 already resolved." in html
    assert GroupActivity.objects.filter(group=three["price"], kind="resolved").count() == 1


def test_ignore_many_until_more_events_and_reopen_them(client, triager, three):
    client.force_login(triager)
    post(client, "ignore", [three["tax"].id, three["ship"].id], more_events="10")
    tax, ship = ErrorGroup.objects.get(id=three["tax"].id), ErrorGroup.objects.get(id=three["ship"].id)
    assert (tax.status, tax.ignore_until_count, ship.ignore_until_count) == ("ignored", 12, 13)
    post(client, "reopen", [three["tax"].id, three["ship"].id])
    assert statuses(three) == {"price": "unresolved", "tax": "unresolved", "ship": "unresolved"}


def test_a_bad_ignore_condition_is_refused_for_every_group_with_the_reason(client, triager, three):
    client.force_login(triager)
    html = post(client, "ignore", [three["tax"].id], until="2001-01-01T10:00").content.decode()
    assert "Ignore until a moment in the future." in html and statuses(three)["tax"] == "unresolved"


def test_assign_refuses_groups_of_projects_the_assignee_is_not_in(client, triager, bob, three, redis_client):
    billing = make_project("billing", members=[triager])  # bob is not a member
    push(billing, redis_client, [crash("invoice", "billing.core")])
    invoice = ErrorGroup.objects.get(project=billing)
    client.force_login(triager)
    html = post(client, "assign", [three["price"].id, invoice.id, three["tax"].id], assignee="bob").content.decode()
    assert ErrorGroup.objects.get(id=three["price"].id).assignee == bob == ErrorGroup.objects.get(id=three["tax"].id).assignee
    assert ErrorGroup.objects.get(id=invoice.id).assignee is None
    assert f"Not assigned: #{invoice.id}: bob is not a member of billing." in html
    assert GroupActivity.objects.filter(kind="assigned", data__assignee="bob").count() == 2


def test_merge_from_the_list(client, triager, three, redis_client):
    client.force_login(triager)
    html = post(client, "merge", [three["price"].id, three["tax"].id, three["ship"].id]).content.decode()
    ship = ErrorGroup.objects.get()
    assert ship.id == three["ship"].id and ship.event_count == 6
    assert f"Merged 2 groups into #{ship.id}" in html


def test_merge_across_projects_is_refused_and_changes_nothing(client, triager, three, redis_client):
    billing = make_project("billing", members=[triager])
    push(billing, redis_client, [crash("invoice", "billing.core")])
    client.force_login(triager)
    html = post(client, "merge", [three["price"].id, ErrorGroup.objects.get(project=billing).id]).content.decode()
    assert "Only groups of one project can be merged." in html and ErrorGroup.objects.count() == 4


def test_bulk_needs_post_csrf_and_the_permission(client, bob, triager, three):
    client.force_login(bob)  # a member, without triage.change_errorgroup
    assert client.post("/groups/bulk/", {"action": "resolve", "group": [three["price"].id]}).status_code == 403
    client.force_login(triager)
    assert client.get("/groups/bulk/").status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(triager)
    assert strict.post("/groups/bulk/", {"action": "resolve", "group": [three["price"].id]}).status_code == 403
    assert statuses(three)["price"] == "unresolved"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "resolve"}, "Select one or more groups first."),
        ({"action": "explode", "group": ["1"]}, "Choose an action"),
        ({"action": "resolve", "group": ["x", "99999999999999999999999"]}, "Select one or more groups first."),
        ({"action": "merge", "group": ["1"]}, "Pick two or more groups to merge"),
    ],
)
def test_malformed_requests_are_messages_not_errors(client, triager, three, data, message):
    client.force_login(triager)
    response = client.post("/groups/bulk/", data, follow=True)
    assert response.status_code == 200 and message in response.content.decode()


def test_next_only_leads_back_to_the_list(client, triager, three):
    client.force_login(triager)
    for target in ["https://evil.example.com/groups/", "//evil.example.com/groups/", "/admin/"]:
        response = client.post("/groups/bulk/", {"action": "resolve", "group": [three["price"].id], "next": target})
        assert response["Location"] == "/groups/"


def test_the_list_shows_checkboxes_and_the_bar_only_to_triagers(client, bob, triager, three):
    client.force_login(bob)
    html = client.get("/groups/").content.decode()
    assert 'form="bulk"' not in html and 'id="bulk"' not in html
    client.force_login(triager)
    html = client.get("/groups/").content.decode()
    assert html.count('name="group"') == 3 and 'id="bulk"' in html and "data-select-page" in html
