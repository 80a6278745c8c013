"""The kill: "Disable <flag> in production" from the triage pages, through flags.changes, at once."""

import json

import pytest
from django.test import Client

from flags.demo import demo_sdk_key
from flags.models import FlagChange, FlagEnvironment
from tests.factories import grant
from tests.triage.helpers import spike
from triage.models import GroupActivity

pytestmark = pytest.mark.django_db


def url(project) -> str:
    return f"/flag-errors/{project.id}/disable/"


def enabled(project, key="new-checkout", environment="production") -> bool:
    return FlagEnvironment.objects.get(flag__project=project, flag__key=key, environment=environment).enabled


def ofrep_value(client, project, key="new-checkout"):
    response = client.post(
        f"/ofrep/v1/evaluate/flags/{key}", json.dumps({"context": {"targetingKey": "u-1"}}),
        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {demo_sdk_key(project)}",
    )
    assert response.status_code == 200, response.content
    return response.json()["value"]


@pytest.fixture
def group(project, redis_client, demo_flags):
    return spike(project, redis_client, 12)


def test_disabling_turns_the_flag_off_at_once_and_writes_the_audit_row(client, triager, project, group, django_capture_on_commit_callbacks):
    assert ofrep_value(client, project) is True
    client.force_login(triager)
    with django_capture_on_commit_callbacks(execute=True):  # flags.changes publishes to Redis on commit
            response = client.post(url(project), {"key": "new-checkout", "environment": "production", "reason": "checkout spike", "group": group.id, "next": f"/groups/{group.id}/"})
    assert response.status_code == 302 and response["Location"] == f"/groups/{group.id}/"
    assert not enabled(project)
    assert ofrep_value(client, project) is False
    change = FlagChange.objects.filter(flag__key="new-checkout").latest("created_at")
    assert (change.actor, change.reason, change.environment, change.source) == (triager, "checkout spike", "production", "dashboard")
    assert GroupActivity.objects.get(group=group).data == {"flag": "new-checkout", "environment": "production", "reason": "checkout spike"}


def test_a_reason_is_required(client, triager, project, group):
    client.force_login(triager)
    response = client.post(url(project), {"key": "new-checkout", "environment": "production", "reason": "  "})
    assert response.status_code == 400
    assert "the reason goes to the audit log" in response.content.decode()
    assert enabled(project)


def test_without_javascript_the_button_opens_a_confirmation_page(client, triager, project, group):
    client.force_login(triager)
    html = client.get(url(project), {"key": "new-checkout", "environment": "production", "group": group.id}).content.decode()
    assert "Disable <code>new-checkout</code> in production?" in html and 'name="reason"' in html
    assert enabled(project)


def test_without_the_flag_permission_the_post_is_forbidden(client, bob, project, group):
    client.force_login(grant(bob, "triage.change_errorgroup"))
    assert client.post(url(project), {"key": "new-checkout", "environment": "production", "reason": "x"}).status_code == 403
    assert enabled(project)


def test_a_member_of_another_project_cannot_disable_its_flags(client, charlie, project, group):
    client.force_login(grant(charlie, "flags.change_flag"))
    assert client.post(url(project), {"key": "new-checkout", "environment": "production", "reason": "x"}).status_code == 404
    assert enabled(project)


def test_an_unknown_flag_is_not_found(client, triager, project, group):
    client.force_login(triager)
    assert client.post(url(project), {"key": "nope", "environment": "production", "reason": "x"}).status_code == 404


def test_csrf_is_enforced(triager, project, group):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(triager)
    assert browser.post(url(project), {"key": "new-checkout", "environment": "production", "reason": "x"}).status_code == 403
    assert enabled(project)


def test_next_must_stay_on_this_site(client, triager, project, group):
    client.force_login(triager)
    response = client.post(url(project), {"key": "new-checkout", "environment": "production", "reason": "x", "next": "https://evil.example/"})
    assert response["Location"] == f"/flag-errors/?project={project.id}"


def test_disabling_an_already_off_flag_changes_nothing_and_says_so(client, triager, project, group):
    client.force_login(triager)
    data = {"key": "new-checkout", "environment": "production", "reason": "spike"}
    client.post(url(project), data)
    count = FlagChange.objects.count()
    response = client.post(url(project), data, follow=True)
    assert "was already off" in response.content.decode()
    assert FlagChange.objects.count() == count
