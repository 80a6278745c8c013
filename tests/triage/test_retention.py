import pytest

from tests.factories import make_event
from tests.triage.pipeline import drain, send_events
from triage.models import ErrorEvent, ErrorGroup
from triage.retention import prune_events

pytestmark = pytest.mark.django_db


def test_prune_keeps_the_newest_events_within_the_budget_and_the_group_counts(project, redis_client):
    events = [make_event() for _ in range(7)]
    send_events(project, events)
    drain(redis_client)
    assert prune_events(default_budget=3) == 4
    kept = set(ErrorEvent.objects.values_list("event_id", flat=True))
    assert kept == {e["event_id"] for e in events[-3:]}
    assert ErrorGroup.objects.get().event_count == 7


def test_a_projects_own_budget_wins_over_the_default(project, redis_client):
    project.retention_events = 5
    project.save()
    send_events(project, [make_event() for _ in range(6)])
    drain(redis_client)
    prune_events(default_budget=1)
    assert ErrorEvent.objects.count() == 5
