"""One attempt at a delivery: a signed JSON webhook a receiver can verify, a Slack-compatible body,
email through Django's backend, and every failed attempt recorded."""

import json

import pytest
from django.core import mail
from django.utils import timezone

from tests.factories import make_user
from tests.triage.alerts.receiver import Receiver
from triage.alerts import deliver, notify, notify_user
from triage.alerts.deliver import DeliveryFailed, attempt
from triage.alerts.rules import create_rule
from triage.models import AlertDelivery, ErrorGroup

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(project):
    now = timezone.now()
    return ErrorGroup.objects.create(project=project, fingerprint="f", algorithm="t", title="ValueError: <b>bad</b> & worse",
                                     first_seen=now, last_seen=now)


def fired(project, group, queued, **fields) -> AlertDelivery:
    """The first delivery of a new_group rule with the fields, fired for the group."""
    create_rule(project, {"name": "On call", "trigger": "new_group", **fields}, actor=None)
    details = {"title": group.title, "url": deliver.group_url(group.id), "evidence": "first seen 12:00"}
    notify(project.id, "new_group", now=timezone.now(), group_id=group.id, details=details)
    return AlertDelivery.objects.select_related("rule").order_by("id").first()


def test_the_receiver_verifies_the_json_webhook_with_the_rules_secret(project, group, redis_client, queued):
    with Receiver() as receiver:
        delivery = fired(project, group, queued, webhook_url=receiver.url)
        attempt(delivery.id, final=False, now=timezone.now())
    [got] = receiver.received
    assert got.signed_by(delivery.rule.secret)
    assert not got.signed_by("another rule's secret")
    assert got.headers["Content-Type"] == "application/json"
    body = got.json()
    assert body["trigger"] == "new_group" and body["group_id"] == group.id and body["id"] == delivery.id
    assert body["rule"] == {"id": delivery.rule_id, "name": "On call"}
    assert body["project"] == {"id": project.id, "name": project.name}
    assert body["url"] == deliver.group_url(group.id) and body["url"].endswith(f"/groups/{group.id}/")
    assert body["details"]["evidence"] == "first seen 12:00"
    assert body["headline"] == f"New group in {project.name}: {group.title}"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("sent", 1, "")
    assert delivery.delivered_at is not None


def test_the_slack_body_has_text_and_blocks_with_slacks_characters_escaped(project, group, redis_client, queued):
    with Receiver() as receiver:
        delivery = fired(project, group, queued, webhook_url=receiver.url, format="slack")
        attempt(delivery.id, final=False, now=timezone.now())
    [got] = receiver.received
    body = got.json()
    assert set(body) == {"text", "blocks"}
    assert body["text"].startswith(f"New group in {project.name}: ValueError: <b>bad</b> & worse")
    section, context = body["blocks"]
    assert section["type"] == "section" and section["text"]["type"] == "mrkdwn"
    assert f"<{deliver.group_url(group.id)}|New group in {project.name}: ValueError: &lt;b&gt;bad&lt;/b&gt; &amp; worse>" in section["text"]["text"]
    assert "first seen 12:00" in section["text"]["text"]
    assert context["type"] == "context" and "On call" in context["elements"][0]["text"]
    assert "X-Switchyard-Signature" not in got.headers


def test_email_goes_through_djangos_backend_one_message_per_address(project, group, redis_client, queued):
    fired(project, group, queued, emails=["ops@example.com", "dev@example.com"])
    for delivery_id in AlertDelivery.objects.values_list("id", flat=True):
        attempt(delivery_id, final=False, now=timezone.now())
    assert sorted(m.to[0] for m in mail.outbox) == ["dev@example.com", "ops@example.com"]
    message = mail.outbox[0]
    assert message.subject == f"[Switchyard] New group in {project.name}: ValueError: <b>bad</b> & worse"
    assert deliver.group_url(group.id) in message.body and "evidence: first seen 12:00" in message.body
    assert message.from_email == "switchyard@localhost"
    assert set(AlertDelivery.objects.values_list("status", flat=True)) == {"sent"}


def test_a_subject_with_a_line_break_stays_one_line(queued):
    notify_user(make_user("olga"), "Guard\ndisabled  new-checkout", "why", now=timezone.now(), details={"flag_key": "new-checkout"})
    attempt(AlertDelivery.objects.get().id, final=False, now=timezone.now())
    assert mail.outbox[0].subject == "[Switchyard] Guard disabled new-checkout"
    assert "why" in mail.outbox[0].body and "flag_key: new-checkout" in mail.outbox[0].body


def test_a_failed_attempt_is_recorded_and_raised_for_a_retry_and_the_last_marks_it_failed(project, group, redis_client, queued):
    with Receiver(statuses=[500, 503]) as receiver:
        delivery = fired(project, group, queued, webhook_url=receiver.url)
        with pytest.raises(DeliveryFailed, match="HTTP 500"):
            attempt(delivery.id, final=False, now=timezone.now())
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.last_error) == ("pending", 1, "DeliveryFailed: HTTP 500 from the receiver")
        attempt(delivery.id, final=True, now=timezone.now())  # the last: recorded, not raised
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("failed", 2, "DeliveryFailed: HTTP 503 from the receiver")
    assert delivery.delivered_at is None


def test_an_unreachable_receiver_is_a_failed_attempt(project, group, redis_client, queued):
    with Receiver() as receiver:
        url = receiver.url
    delivery = fired(project, group, queued, webhook_url=url)  # nothing listens there any more
    with pytest.raises(DeliveryFailed, match="URLError"):
        attempt(delivery.id, final=False, now=timezone.now())


def test_a_redirect_is_a_failure_not_a_post_turned_into_a_get(project, group, redis_client, queued):
    with Receiver(statuses=[302]) as receiver:
        delivery = fired(project, group, queued, webhook_url=receiver.url)
        with pytest.raises(DeliveryFailed, match="HTTP 302"):
            attempt(delivery.id, final=False, now=timezone.now())
    assert len(receiver.received) == 1


def test_a_delivery_already_sent_or_deleted_is_not_sent_again(project, group, redis_client, queued):
    with Receiver() as receiver:
        delivery = fired(project, group, queued, webhook_url=receiver.url)
        attempt(delivery.id, final=False, now=timezone.now())
        attempt(delivery.id, final=False, now=timezone.now())  # a task delivered twice
        attempt(delivery.id + 1000, final=False, now=timezone.now())
    assert len(receiver.received) == 1
    assert AlertDelivery.objects.get(id=delivery.id).attempts == 1



def test_the_link_comes_from_the_group_when_the_details_have_none(project, group, redis_client, queued):
    create_rule(project, {"name": "Spikes", "trigger": "spike", "threshold": 1, "webhook_url": "https://h.example.com/"}, actor=None)
    notify(project.id, "spike", now=timezone.now(), group_id=group.id, value=3.0, details={"group": group.title, "score": 3.0})
    body = json.loads(deliver.json_body(AlertDelivery.objects.select_related("rule__project").get()))
    assert body["url"] == deliver.group_url(group.id)
    assert body["headline"] == f"Spike in {project.name}: {group.title}" and body["details"]["score"] == 3.0
