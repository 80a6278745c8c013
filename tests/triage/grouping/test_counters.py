"""triage.grouping.counters: per-minute counts hot in Redis, rolled up into the database."""

import pytest
from django.utils import timezone

from tests.factories import make_event
from tests.triage.pipeline import drain, send_events
from triage.grouping import counters
from triage.models import GroupMinuteCount

pytestmark = pytest.mark.django_db


def test_roll_up_copies_hot_counts_and_is_idempotent(project, redis_client):
    send_events(project, [make_event() for _ in range(4)])
    drain(redis_client)
    counters.roll_up_counts(redis_client, timezone.now())
    counters.roll_up_counts(redis_client, timezone.now())
    assert sum(GroupMinuteCount.objects.values_list("count", flat=True)) == 4
