"""Finding a batch's groups across a grouping upgrade, and with what the stream teaches about
raise-helpers: captured @sentry/node events through the real ingest, stream and digest."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.triage.fingerprint.conftest import load_node_payload
from tests.triage.pipeline import consumer, drain, send_events
from triage.fingerprint import ALGORITHM, PREVIOUS_ALGORITHM, v1, v2
from triage.models import ErrorEvent, ErrorGroup, FingerprintTransition, GroupFingerprint, RaiseHelperCall

pytestmark = pytest.mark.django_db


def node_event(name: str) -> dict:
    """A captured Node event under a new event id, so one capture can be sent again."""
    return {**load_node_payload(name), "event_id": uuid.uuid4().hex}


def v1_group(project, name: str) -> ErrorGroup:
    """The group switchyard-v1 made, before the upgrade, for the captured event ``name``."""
    fp = v1.fingerprint_event(load_node_payload(name))
    now = timezone.now()
    return ErrorGroup.objects.create(
        project=project, fingerprint=fp.hash, algorithm=PREVIOUS_ALGORITHM, title=fp.title, culprit=fp.culprit,
        first_seen=now, last_seen=now,
    )


def in_transition(project, days_ago: float = 0) -> None:
    started = timezone.now() - dt.timedelta(days=days_ago)
    FingerprintTransition.objects.create(project=project, previous_algorithm=PREVIOUS_ALGORITHM, started_at=started)


def group_of(event: dict) -> ErrorGroup:
    return ErrorEvent.objects.select_related("group").get(event_id=event["event_id"]).group


# Names whose v2 fingerprint differs from v1's: v1 named the frame "Object.checkLimit".
EVENT = "message_quota_t17"


def test_v2_fingerprints_the_node_event_unlike_v1():
    event = load_node_payload(EVENT)
    assert v1.fingerprint_event(event).hash != v2.fingerprint_event(event).hash


def test_during_the_transition_the_old_fingerprint_finds_the_old_group_and_the_new_one_is_attached(project, redis_client):
    old = v1_group(project, EVENT)
    in_transition(project)
    event = node_event(EVENT)
    send_events(project, [event])
    drain(redis_client)
    assert group_of(event) == old
    attached = GroupFingerprint.objects.get(group=old)
    assert (attached.fingerprint, attached.algorithm, attached.kind) == (
        v2.fingerprint_event(load_node_payload(EVENT)).hash, ALGORITHM, "transition"
    )
    assert ErrorGroup.objects.filter(project=project).count() == 1


def test_after_the_transition_the_attached_fingerprint_keeps_finding_the_old_group(project, redis_client):
    old = v1_group(project, EVENT)
    in_transition(project)
    send_events(project, [node_event(EVENT)])
    drain(redis_client)
    FingerprintTransition.objects.update(started_at=timezone.now() - dt.timedelta(days=365))
    later = node_event("message_quota_t42")
    send_events(project, [later])
    drain(redis_client)
    assert group_of(later) == old
    assert old.extra_fingerprints.count() == 1


@pytest.mark.parametrize("transition", ["none", "over"])
def test_without_a_running_transition_the_old_fingerprint_is_not_tried(project, redis_client, transition):
    v1_group(project, EVENT)
    if transition == "over":
        in_transition(project, days_ago=31)
    event = node_event(EVENT)
    send_events(project, [event])
    drain(redis_client)
    assert group_of(event).algorithm == ALGORITHM
    assert not GroupFingerprint.objects.exists()


def test_the_transition_window_is_a_setting(project, redis_client, settings):
    settings.SWITCHYARD = {**settings.SWITCHYARD, "FINGERPRINT_TRANSITION_DAYS": 60}
    old = v1_group(project, EVENT)
    in_transition(project, days_ago=45)
    event = node_event(EVENT)
    send_events(project, [event])
    drain(redis_client)
    assert group_of(event) == old


def test_a_batch_in_transition_costs_the_same_queries_whatever_its_size(project, redis_client):
    v1_group(project, EVENT)
    in_transition(project)

    def queries_for(n: int) -> int:
        send_events(project, [node_event(EVENT) for _ in range(n)])
        c = consumer(redis_client)
        with CaptureQueriesContext(connection) as captured:
            c.run_once()
        return len(captured.captured_queries)

    queries_for(2)
    assert queries_for(5) == queries_for(30)


# --- raise-helpers learned from the stream --------------------------------------------------------


def test_callers_of_a_helper_split_when_both_arrive_in_one_batch(project, redis_client):
    user, order = node_event("helper_user_17"), node_event("helper_order_9")
    send_events(project, [user, order])
    drain(redis_client)
    assert group_of(user) != group_of(order)
    assert group_of(user).culprit == "sampleapp:users in loadUser"
    assert RaiseHelperCall.objects.filter(project=project).count() == 2


def test_the_first_callers_group_keeps_its_events_once_the_helper_is_learned(project, redis_client):
    first = node_event("helper_user_17")
    send_events(project, [first])
    drain(redis_client)
    helper_group = group_of(first)
    assert helper_group.culprit == "sampleapp:validate in assertFound"  # not known to be a helper yet

    order = node_event("helper_order_9")
    send_events(project, [order])
    drain(redis_client)
    later = node_event("helper_user_42")
    send_events(project, [later])
    drain(redis_client)
    assert group_of(order) != helper_group
    assert group_of(later) == helper_group
    assert helper_group.extra_fingerprints.get().kind == "raise_helper"


def test_what_a_helper_observes_is_stored_once(project, redis_client):
    send_events(project, [node_event("helper_user_17") for _ in range(3)])
    drain(redis_client)
    send_events(project, [node_event("helper_user_42")])
    drain(redis_client)
    row = RaiseHelperCall.objects.get(project=project)
    assert (row.frame, row.caller) == ("sampleapp:validate in assertFound", "sampleapp:users in loadUser")


def test_the_group_page_says_which_algorithm_decided(client, alice, project, redis_client):
    old = v1_group(project, EVENT)
    in_transition(project)
    send_events(project, [node_event(EVENT)])
    drain(redis_client)
    client.force_login(alice)
    html = client.get(f"/groups/{old.id}/").content.decode()
    assert "Decided by <code>switchyard-v1</code>" in html
    assert "attached" in html and ALGORITHM in html

    fresh = node_event("console_inventory_sku9")
    send_events(project, [fresh])
    drain(redis_client)
    html = client.get(f"/groups/{group_of(fresh).id}/").content.decode()
    assert "Decided by <code>switchyard-v2</code>" in html
    assert "Inventory sync failed for sku-&lt;int&gt;: supplier timeout" in html  # the v2 components


def test_a_frame_stops_being_observed_past_its_cap(project, redis_client, monkeypatch):
    from triage.digest import events

    monkeypatch.setattr(events, "MAX_CALLS_PER_FRAME", 1)
    send_events(project, [node_event("helper_user_17")])
    drain(redis_client)
    send_events(project, [node_event("helper_order_9")])
    drain(redis_client)
    assert RaiseHelperCall.objects.filter(project=project).count() == 1
