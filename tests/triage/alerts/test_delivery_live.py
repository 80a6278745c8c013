"""With a real Celery worker: a receiver that fails twice gets the alert on the third attempt,
each attempt in the rule's history; and end to end, an event sent to the live server makes a new
group whose alert reaches the project owner's webhook, signed."""

import urllib.request

import pytest
from django.utils import timezone

from tests.factories import envelope, make_event
from tests.live import wait_for
from tests.triage.alerts.receiver import Receiver
from triage.alerts import notify
from triage.alerts.rules import create_rule
from triage.models import AlertDelivery, ErrorGroup

pytestmark = pytest.mark.integration


def test_a_failing_receiver_is_retried_with_backoff_until_it_answers(live_stack, project, alice):
    with Receiver(statuses=[500, 502]) as receiver:
        rule, secret = create_rule(project, {"name": "hook", "trigger": "spike", "threshold": 5, "webhook_url": receiver.url},
                                   actor=alice)
        assert notify(project.id, "spike", now=timezone.now(), flag_key="new-checkout", value=8.0,
                      details={"title": "CheckoutError"}) == 1
        delivery = wait_for(lambda: AlertDelivery.objects.filter(rule=rule, status="sent").first(), timeout=60,
                            what="the third attempt")
    assert [r.answered for r in receiver.received] == [500, 502, 200]
    assert all(r.signed_by(secret) for r in receiver.received)
    assert (delivery.attempts, delivery.last_error) == (3, "DeliveryFailed: HTTP 502 from the receiver")


def test_a_new_group_from_a_real_sdk_event_reaches_the_owners_webhook(live_stack, project, alice):
    with Receiver() as receiver:
        rule, secret = create_rule(project, {"name": "new groups", "trigger": "new_group", "webhook_url": receiver.url},
                                   actor=alice)
        request = urllib.request.Request(
            f"{live_stack.url}/api/{project.id}/envelope/", data=envelope(make_event()), method="POST",
            headers={"X-Sentry-Auth": f"Sentry sentry_key={project.keys.first().public_key}, sentry_version=7"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
        wait_for(lambda: receiver.received, timeout=60, what="the alert")
    [got] = receiver.received
    group = ErrorGroup.objects.get(project=project)
    assert got.signed_by(secret)
    assert (got.json()["trigger"], got.json()["group_id"], got.json()["details"]["title"]) == ("new_group", group.id, group.title)
    wait_for(lambda: AlertDelivery.objects.filter(rule=rule, status="sent").exists(), what="the delivery recorded")
