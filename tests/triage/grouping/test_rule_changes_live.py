"""Fingerprint rules with a real Celery worker: a saved rule groups the events the worker digests
from then on (its project cache refreshes within seconds); stored events keep their groups."""

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from tests.live import wait_for
from tests.triage.helpers import crash, send_live, settled
from triage.grouping.rule_changes import save_fingerprint_rules
from triage.models import ErrorEvent, ErrorGroup

pytestmark = [pytest.mark.integration]


def send(url, project, site: str) -> None:
    send_live(url, project, crash(site, exc_type="TimeoutError"))


def test_a_saved_rule_groups_the_events_digested_after_it(live_stack, project, alice):
    client = redis.Redis.from_url(settings.REDIS_URL)
    for site in ("charge", "refund"):
        send(live_stack.url, project, site)
    wait_for(lambda: settled(client, 2), timeout=60, what="the first two events")
    before = set(ErrorGroup.objects.values_list("id", flat=True))
    assert len(before) == 2

    save_fingerprint_rules(project, "error.type:TimeoutError -> timeouts", actor=alice, reason="one group", now=timezone.now())
    sent = [2]

    def rule_group_appeared():
        for site in ("charge", "refund"):
            send(live_stack.url, project, site)
        sent[0] += 2
        return ErrorGroup.objects.exclude(id__in=before).first()

    rule_group = wait_for(rule_group_appeared, timeout=60, interval=0.5, what="an event grouped by the rule")
    for site in ("charge", "refund"):
        send(live_stack.url, project, site)
    wait_for(lambda: settled(client, sent[0] + 2), timeout=60, what="every event digested")
    latest = ErrorEvent.objects.order_by("-id")[:2]
    assert {e.group_id for e in latest} == {rule_group.id}
    assert ErrorGroup.objects.count() == 3  # the two old groups kept their events; one new group for the rule
    assert sum(ErrorGroup.objects.values_list("event_count", flat=True)) == sent[0] + 2
