"""Triage in the Django admin: group status and assignee change through triage.actions (so each
change has its activity row), and a project's grouping rules are checked before they are saved."""

import pytest

from projects.models import Project
from tests.factories import make_event
from tests.triage.helpers import push
from triage.models import ErrorGroup, GroupActivity

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(project, redis_client):
    push(project, redis_client, [make_event()])
    return ErrorGroup.objects.get(project=project)


def test_assigning_in_the_admin_writes_an_activity_row(client, admin_user, group, project, bob):
    project.members.add(admin_user)
    client.force_login(admin_user)
    response = client.post(f"/admin/triage/errorgroup/{group.id}/change/", {"assignee": bob.id})
    assert response.status_code == 302
    assert ErrorGroup.objects.get(pk=group.pk).assignee == bob
    assert list(GroupActivity.objects.values_list("kind", "actor__username", "data")) == [("assigned", "admin", {"assignee": "bob"})]


def test_the_admin_refuses_an_assignee_outside_the_project(client, admin_user, group, charlie):
    client.force_login(admin_user)
    response = client.post(f"/admin/triage/errorgroup/{group.id}/change/", {"assignee": charlie.id})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["assignee"] == ["charlie is not a member of shop."]
    assert ErrorGroup.objects.get(pk=group.pk).assignee is None


def test_status_changes_are_admin_actions_through_triage_actions(client, admin_user, group):
    client.force_login(admin_user)
    client.post("/admin/triage/errorgroup/", {"action": "resolve", "_selected_action": [group.id]})
    client.post("/admin/triage/errorgroup/", {"action": "resolve", "_selected_action": [group.id]})  # already resolved
    assert ErrorGroup.objects.get(pk=group.pk).status == "resolved"
    client.post("/admin/triage/errorgroup/", {"action": "reopen", "_selected_action": [group.id]})
    group.refresh_from_db()
    assert (group.status, group.substatus) == ("unresolved", "ongoing")
    assert list(GroupActivity.objects.order_by("id").values_list("kind", flat=True)) == ["resolved", "reopened"]


def test_the_status_is_not_a_field_of_the_change_form(client, admin_user, group):
    client.force_login(admin_user)
    client.post(f"/admin/triage/errorgroup/{group.id}/change/", {"assignee": "", "status": "resolved"})
    assert ErrorGroup.objects.get(pk=group.pk).status == "unresolved"


def test_the_project_admin_refuses_bad_grouping_rules(client, admin_user, project):
    client.force_login(admin_user)
    form = {"name": "shop", "slug": "shop", "grouping_rules": "this is not a rule", "created_at_0": "2026-01-01",
            "created_at_1": "00:00:00", "keys-TOTAL_FORMS": "0", "keys-INITIAL_FORMS": "0"}
    response = client.post(f"/admin/projects/project/{project.id}/change/", form)
    assert response.status_code == 200 and response.context["adminform"].form.errors["grouping_rules"]
    assert Project.objects.get(pk=project.pk).grouping_rules == ""
