"""The alert rules API: members list a project's rules and a rule's history, `triage.add_alertrule`
creates one (its secret in that answer only), bad input is a 400 with a message, and another
project's rules are 404."""

import json

import pytest
from django.utils import timezone

from projects.tokens import create_token
from tests.factories import grant
from triage.alerts.rules import create_rule
from triage.models import AlertDelivery, AlertRule

pytestmark = pytest.mark.django_db
RULE = {"name": "Checkout spikes", "trigger": "spike", "threshold": 12.5, "webhook_url": "https://hooks.example.com/a",
        "format": "slack", "emails": ["ops@example.com"]}


def call(client, method, url, user, body=None):
    kwargs = {"HTTP_AUTHORIZATION": f"Bearer {create_token(user)}"}
    if body is not None:
        kwargs.update(data=json.dumps(body) if not isinstance(body, bytes) else body, content_type="application/json")
    return getattr(client, method)(url, **kwargs)


@pytest.fixture
def maker(alice):
    return grant(alice, "triage.add_alertrule")


def test_creates_a_rule_and_shows_its_secret_once(client, maker, project):
    response = call(client, "post", f"/api/0/projects/{project.id}/alert-rules/", maker, RULE)
    assert response.status_code == 201
    body = response.json()
    rule = AlertRule.objects.get()
    assert body["secret"] == rule.secret
    assert {k: body[k] for k in RULE} == RULE
    assert (body["enabled"], body["repeat_minutes"], body["last_delivery_status"]) == (True, 30, None)
    listed = call(client, "get", f"/api/0/projects/{project.id}/alert-rules/", maker).json()
    assert [r["name"] for r in listed["results"]] == ["Checkout spikes"] and "secret" not in listed["results"][0]
    assert rule.created_by == maker


@pytest.mark.parametrize(("change", "message"), [
    ({"trigger": "whenever"}, "trigger must be one of"),
    ({"threshold": None}, "a spike rule needs a threshold"),
    ({"webhook_url": "file:///etc/passwd"}, "webhook_url must be an http or https URL"),
    ({"emails": ["not-an-address"]}, "not an email address"),
    ({"webhook_url": None, "emails": []}, "a rule needs a webhook_url, emails, or both"),
    ({"name": "\u0000"}, "NUL"),
])
def test_bad_input_is_a_400_with_a_message(client, maker, project, change, message):
    response = call(client, "post", f"/api/0/projects/{project.id}/alert-rules/", maker, {**RULE, **change})
    assert response.status_code == 400 and message in response.json()["detail"]
    assert not AlertRule.objects.exists()


def test_a_body_that_is_not_a_json_object_is_a_400(client, maker, project):
    assert call(client, "post", f"/api/0/projects/{project.id}/alert-rules/", maker, b"[1, 2]").status_code == 400
    assert call(client, "post", f"/api/0/projects/{project.id}/alert-rules/", maker, b"{nope").status_code == 400


def test_creating_needs_the_permission_reading_does_not(client, bob, project):
    assert call(client, "post", f"/api/0/projects/{project.id}/alert-rules/", bob, RULE).status_code == 403
    assert call(client, "get", f"/api/0/projects/{project.id}/alert-rules/", bob).status_code == 200


def test_another_projects_rules_are_404_even_with_the_permission(client, project, charlie):
    grant(charlie, "triage.add_alertrule")
    rule, _ = create_rule(project, RULE, actor=None)
    assert call(client, "get", f"/api/0/projects/{project.id}/alert-rules/", charlie).status_code == 404
    assert call(client, "post", f"/api/0/projects/{project.id}/alert-rules/", charlie, RULE).status_code == 404
    assert call(client, "get", f"/api/0/projects/{project.id}/alert-rules/{rule.id}/history/", charlie).status_code == 404


def test_a_rule_is_found_only_under_its_own_project(client, alice, project, other_project):
    rule, _ = create_rule(other_project, RULE, actor=None)
    assert call(client, "get", f"/api/0/projects/{project.id}/alert-rules/{rule.id}/history/", alice).status_code == 404


def test_history_lists_what_fired_when_why_and_how_it_went(client, bob, project):
    rule, _ = create_rule(project, RULE, actor=None)
    now = timezone.now()
    AlertDelivery.objects.create(rule=rule, fired_at=now, trigger="spike", flag_key="new-checkout", reason="Spike score 14",
                                 channel="webhook", target=RULE["webhook_url"], status="failed", attempts=6, last_error="HTTP 500")
    body = call(client, "get", f"/api/0/projects/{project.id}/alert-rules/{rule.id}/history/", bob).json()
    [row] = body["results"]
    assert {k: row[k] for k in ("trigger", "flag_key", "reason", "channel", "status", "attempts", "last_error", "delivered_at")} == {
        "trigger": "spike", "flag_key": "new-checkout", "reason": "Spike score 14", "channel": "webhook", "status": "failed",
        "attempts": 6, "last_error": "HTTP 500", "delivered_at": None}
    assert row["fired_at"] == now.isoformat()
    listed = call(client, "get", f"/api/0/projects/{project.id}/alert-rules/", bob).json()
    assert listed["results"][0]["last_delivery_status"] == "failed"


def test_other_methods_are_refused(client, maker, project):
    assert call(client, "delete", f"/api/0/projects/{project.id}/alert-rules/", maker).status_code == 405
