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


def test_release_health_forgets_old_sessions_and_messages_and_keeps_the_counts(project):
    import datetime as dt
    import json
    import time

    from django.utils import timezone

    from triage.digest.sessions import digest_sessions, prepare_sessions
    from triage.models import ReleaseHealthMinute, SessionMessage, TrackedSession
    from triage.retention import prune_release_health
    from triage.stream import IngestMessage

    started = timezone.now().replace(second=0, microsecond=0).isoformat()
    payload = json.dumps({"sid": "s-1", "started": started, "status": "exited", "attrs": {"release": "shop@1"}}).encode()
    digest_sessions([prepare_sessions(b"1-0", IngestMessage(project.id, "d" * 32, time.time(), payload))], timezone.now())
    assert prune_release_health(timezone.now()) == 0
    assert prune_release_health(timezone.now() + dt.timedelta(days=7)) == 1  # the session, past its update window
    assert prune_release_health(timezone.now() + dt.timedelta(days=31)) == 1  # then the message
    assert not TrackedSession.objects.exists() and not SessionMessage.objects.exists()
    assert ReleaseHealthMinute.objects.get().sessions == 1
