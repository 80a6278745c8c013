"""Alert rules in the project settings: listed with their last delivery, created with
`triage.add_alertrule` (secret shown once), disabled with `triage.change_alertrule`, deleted with
`triage.delete_alertrule`; each rule's history page; POST with CSRF; other projects 404."""

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import grant
from triage.alerts.rules import create_rule
from triage.models import AlertDelivery, AlertRule

pytestmark = pytest.mark.django_db
FORM = {"name": "On call", "trigger": "spike", "threshold": "12", "webhook_url": "https://hooks.example.com/x",
        "format": "json", "emails": "ops@example.com, dev@example.com", "repeat_minutes": "15"}


@pytest.fixture
def rule(project):
    made, _ = create_rule(project, {"name": "New groups", "trigger": "new_group", "emails": ["ops@example.com"]}, actor=None)
    return made


def test_settings_list_the_rules_with_their_last_delivery(client, alice, project, rule):
    AlertDelivery.objects.create(rule=rule, fired_at=timezone.now(), trigger="new_group", reason="New group: x",
                                 channel="email", target="ops@example.com", status="sent", attempts=1)
    client.force_login(alice)
    page = client.get(f"/projects/{project.id}/settings/").content.decode()
    assert 'id="alerts"' in page and "New groups" in page and "a new group" in page and "ops@example.com" in page
    assert "sent," in page
    assert f"/projects/{project.id}/alerts/{rule.id}/" in page
    assert "Add rule" not in page and "Disable" not in page  # no permissions, no buttons


def test_creating_a_rule_shows_its_secret_once(client, alice, project):
    client.force_login(grant(alice, "triage.add_alertrule"))
    response = client.post(f"/projects/{project.id}/alerts/new/", FORM, follow=True)
    rule = AlertRule.objects.get()
    assert (rule.trigger, rule.threshold, rule.emails, rule.repeat_minutes) == ("spike", 12.0, ["ops@example.com", "dev@example.com"], 15)
    assert rule.secret in response.content.decode()
    assert response.redirect_chain[-1][0] == f"/projects/{project.id}/settings/#alerts"
    assert rule.secret not in client.get(f"/projects/{project.id}/settings/").content.decode()


@pytest.mark.parametrize(("change", "message"), [
    ({"threshold": ""}, "a spike rule needs a threshold"),
    ({"threshold": "lots"}, "threshold: Enter a number."),
    ({"webhook_url": "gopher://example.com/", "emails": ""}, "webhook_url must be an http or https URL"),
    ({"emails": "ops@example.com nobody"}, "not an email address: &#x27;nobody&#x27;"),
])
def test_bad_fields_are_refused_with_a_message(client, alice, project, change, message):
    client.force_login(grant(alice, "triage.add_alertrule"))
    response = client.post(f"/projects/{project.id}/alerts/new/", {**FORM, **change}, follow=True)
    assert message in response.content.decode()
    assert not AlertRule.objects.exists()


def test_changes_need_their_permission(client, bob, project, rule):
    client.force_login(bob)
    assert client.post(f"/projects/{project.id}/alerts/new/", FORM).status_code == 403
    assert client.post(f"/projects/{project.id}/alerts/{rule.id}/enable/", {"enabled": "0"}).status_code == 403
    assert client.post(f"/projects/{project.id}/alerts/{rule.id}/delete/").status_code == 403
    assert AlertRule.objects.get().enabled


def test_disable_enable_and_delete(client, alice, project, rule):
    client.force_login(grant(alice, "triage.change_alertrule", "triage.delete_alertrule"))
    client.post(f"/projects/{project.id}/alerts/{rule.id}/enable/", {"enabled": "0"})
    assert not AlertRule.objects.get().enabled
    assert "Enable</button>" in client.get(f"/projects/{project.id}/settings/").content.decode()
    client.post(f"/projects/{project.id}/alerts/{rule.id}/enable/", {"enabled": "1"})
    assert AlertRule.objects.get().enabled
    client.post(f"/projects/{project.id}/alerts/{rule.id}/delete/")
    assert not AlertRule.objects.exists()


def test_another_projects_rules_are_404(client, charlie, project, rule, other_project):
    client.force_login(grant(charlie, "triage.add_alertrule", "triage.change_alertrule", "triage.delete_alertrule"))
    assert client.get(f"/projects/{project.id}/alerts/{rule.id}/").status_code == 404
    assert client.post(f"/projects/{project.id}/alerts/new/", FORM).status_code == 404
    assert client.post(f"/projects/{other_project.id}/alerts/{rule.id}/enable/", {"enabled": "0"}).status_code == 404
    assert client.post(f"/projects/{other_project.id}/alerts/{rule.id}/delete/").status_code == 404
    assert AlertRule.objects.get().enabled


def test_the_history_page_shows_each_delivery_escaped(client, bob, project, rule):
    AlertDelivery.objects.create(rule=rule, fired_at=timezone.now(), trigger="new_group", reason="New group: <script>x()</script>",
                                 channel="email", target="ops@example.com", status="failed", attempts=6,
                                 last_error="SMTPServerDisconnected: <b>gone</b>")
    client.force_login(bob)
    page = client.get(f"/projects/{project.id}/alerts/{rule.id}/").content.decode()
    assert "New group: &lt;script&gt;x()&lt;/script&gt;" in page and "<script>x()" not in page
    assert "SMTPServerDisconnected: &lt;b&gt;gone&lt;/b&gt;" in page
    assert "failed" in page and ">6<" in page
    assert client.get(f"/projects/{project.id}/alerts/{rule.id}/?page=99999999999999999999").status_code == 200


def test_csrf_is_enforced(alice, project):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(grant(alice, "triage.add_alertrule"))
    assert browser.post(f"/projects/{project.id}/alerts/new/", FORM).status_code == 403
    assert not AlertRule.objects.exists()
