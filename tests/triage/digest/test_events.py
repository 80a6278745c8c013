"""Stream → database: grouping, counting, breakdowns and idempotency, with a real Redis."""

import json
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import make_event, with_crash_site
from tests.triage.pipeline import consumer, drain, send_events
from triage import actions, stream
from triage.digest.events import digest_events, prepare
from triage.grouping import counters
from triage.models import (
    ErrorEvent,
    ErrorGroup,
    GroupCallPath,
    GroupFlag,
    GroupRelease,
    ProjectFlag,
)
from triage.stream import IngestMessage

pytestmark = pytest.mark.django_db


def hot_total(redis_client) -> int:
    minute = counters.minute_of(timezone.now())
    hot = counters.hot_minute_counts(redis_client, [minute - 60, minute])
    return sum(sum(counts.values()) for counts in hot.values())


def test_same_crash_site_is_one_group_and_each_event_is_counted(project, redis_client):
    events = [make_event(release=f"shop@1.{i % 3}.0") for i in range(5)]
    send_events(project, events)
    assert drain(redis_client) == 5
    group = ErrorGroup.objects.get(project=project)
    assert group.event_count == 5
    assert group.culprit == "shop.pricing in price"
    assert group.title.startswith("ValueError: bad price")
    assert ErrorEvent.objects.filter(group=group).count() == 5
    assert hot_total(redis_client) == 5
    assert sorted(GroupRelease.objects.filter(group=group).values_list("release__version", "count")) == [
        ("shop@1.0.0", 2), ("shop@1.1.0", 2), ("shop@1.2.0", 1)
    ]


def test_different_crash_functions_are_different_groups(project, redis_client):
    send_events(project, [with_crash_site(make_event(), "shop.pricing", "price"), with_crash_site(make_event(), "shop.cart", "total")])
    drain(redis_client)
    assert ErrorGroup.objects.filter(project=project).count() == 2


def test_records_release_environment_user_trace_and_flags(project, redis_client):
    event = make_event(release="shop@1.4.0", environment="staging", user={"id": "u-17"})
    event["contexts"]["flags"]["values"] = [{"flag": "new-checkout", "result": True}, {"flag": "dark-mode", "result": False}]
    send_events(project, [event])
    drain(redis_client)
    stored = ErrorEvent.objects.get(event_id=event["event_id"])
    assert (stored.release.version, stored.environment, stored.user_key) == ("shop@1.4.0", "staging", "id:u-17")
    assert stored.trace_id == "358db1228a8b42ccac048e890f6a8e12"
    assert stored.flags == {"new-checkout": "true", "dark-mode": "false"}
    assert set(GroupFlag.objects.values_list("key", "value", "count")) == {("new-checkout", "true", 1), ("dark-mode", "false", 1)}
    assert ProjectFlag.objects.get(project=project, key="dark-mode").value == "false"
    assert ErrorGroup.objects.get().users_affected == 1


def test_users_affected_counts_distinct_users(project, redis_client):
    send_events(project, [make_event(user={"id": f"u-{i % 3}"}) for i in range(7)])
    drain(redis_client)
    assert ErrorGroup.objects.get().users_affected == 3


def test_distinct_call_paths_are_kept_inside_a_group(project, redis_client):
    a, b = make_event(), make_event()
    b["exception"]["values"][-1]["stacktrace"]["frames"][0].update(module="shop.api", function="order_api")
    send_events(project, [a, b, make_event()])
    drain(redis_client)
    assert ErrorGroup.objects.count() == 1
    assert sorted(GroupCallPath.objects.values_list("count", flat=True)) == [1, 2]


def test_redelivered_message_is_stored_once_and_counted_once(project, redis_client):
    """A worker that committed but died before acknowledging: the redelivery counts the event once."""
    send_events(project, [make_event()])
    consumer(redis_client, "doomed")
    [(message_id, fields)] = redis_client.xreadgroup(stream.GROUP, "doomed", {stream.EVENTS: ">"})[0][1]
    digest_events([prepare(message_id, IngestMessage.from_fields(fields), "")], timezone.now())  # no ack
    assert hot_total(redis_client) == 0

    survivor = consumer(redis_client, "survivor")
    survivor.options["CLAIM_IDLE_MS"] = 0
    survivor.run_once()
    assert ErrorEvent.objects.count() == 1
    assert ErrorGroup.objects.get().event_count == 1
    assert hot_total(redis_client) == 1
    assert redis_client.xpending(stream.EVENTS, stream.GROUP)["pending"] == 0


def test_resent_event_with_same_event_id_is_not_counted_again(project, redis_client):
    event = make_event()
    send_events(project, [event])
    drain(redis_client)
    send_events(project, [event])
    drain(redis_client)
    assert ErrorEvent.objects.count() == 1
    assert ErrorGroup.objects.get().event_count == 1
    assert hot_total(redis_client) == 1


def test_poison_message_is_dead_lettered_after_max_deliveries_and_does_not_block(project, redis_client, tunables, monkeypatch):
    tunables.update(MAX_DELIVERIES=2, CLAIM_IDLE_MS=0)
    poison = make_event(release="poison")
    send_events(project, [poison, make_event(), make_event()])
    c = consumer(redis_client)
    real_prepare = c.handler.prepare

    def explode_on_poison(message_id, message):
        if message.event_id == poison["event_id"]:
            raise RuntimeError("boom in prepare")
        return real_prepare(message_id, message)

    monkeypatch.setattr(c.handler, "prepare", explode_on_poison)
    c.run_once()
    assert ErrorEvent.objects.count() == 2  # the events behind the poison went through
    for turn in range(3):
        c.run_once(now=time.monotonic() + 100.0 * (turn + 1))  # past CLAIM_EVERY_SECONDS
    [(_, fields)] = redis_client.xrange(stream.dead_letter_stream(stream.EVENTS))
    assert fields[b"event_id"].decode() == poison["event_id"]
    assert b"boom in prepare" in fields[b"reason"]
    assert redis_client.xpending(stream.EVENTS, stream.GROUP)["pending"] == 0


def test_malformed_stream_entry_is_dead_lettered_at_once(project, redis_client):
    redis_client.xadd(stream.EVENTS, {"v": 1, "project": "not-a-number"})
    send_events(project, [make_event()])
    drain(redis_client)
    assert redis_client.xlen(stream.dead_letter_stream(stream.EVENTS)) == 1
    assert ErrorEvent.objects.count() == 1


def test_event_for_a_deleted_project_is_dead_lettered(project, redis_client):
    send_events(project, [make_event()])
    project.delete()
    drain(redis_client)
    [(_, fields)] = redis_client.xrange(stream.dead_letter_stream(stream.EVENTS))
    assert b"does not exist" in fields[b"reason"]


def test_a_batch_costs_the_same_number_of_queries_whatever_its_size(project, redis_client):
    def queries_for(n: int) -> int:
        send_events(project, [make_event(release=f"shop@{i}", user={"id": str(i)}) for i in range(n)])
        c = consumer(redis_client)
        with CaptureQueriesContext(connection) as captured:
            c.run_once()
        return len(captured.captured_queries)

    queries_for(2)  # creates the group and warms the project cache
    assert queries_for(5) == queries_for(40)


def test_resolved_group_regresses_on_an_event_from_a_newer_release(project, redis_client):
    send_events(project, [make_event(release="shop@1.0.0")])
    drain(redis_client)
    actions.resolve_in_next_release(ErrorGroup.objects.get(), actor=None, now=timezone.now())
    send_events(project, [make_event(release="shop@1.0.0")])
    drain(redis_client)
    assert ErrorGroup.objects.get().status == "resolved"
    send_events(project, [make_event(release="shop@1.1.0")])
    drain(redis_client)
    group = ErrorGroup.objects.get()
    assert (group.status, group.substatus) == ("unresolved", "regressed")


def test_ignored_group_reopens_after_its_event_budget(project, redis_client):
    send_events(project, [make_event()])
    drain(redis_client)
    actions.ignore(ErrorGroup.objects.get(), actor=None, now=timezone.now(), more_events=2)
    send_events(project, [make_event()])
    drain(redis_client)
    assert ErrorGroup.objects.get().status == "ignored"
    send_events(project, [make_event()])
    drain(redis_client)
    assert ErrorGroup.objects.get().status == "unresolved"


def test_consumers_trim_what_they_processed_so_length_is_backlog(project, redis_client):
    send_events(project, [make_event() for _ in range(3)])
    drain(redis_client)
    stream.trim_processed(redis_client, stream.EVENTS)
    assert redis_client.xlen(stream.EVENTS) == 0


def test_nul_characters_from_an_sdk_are_stored_without_them(project, redis_client):
    event = make_event(release="shop@1.0\u0000", environment="prod\u0000uction", user={"id": "u\u00001"})
    event["exception"]["values"][-1]["value"] = "bad \u0000 byte"
    event["contexts"]["flags"]["values"] = [{"flag": "new\u0000-checkout", "result": True}]
    send_events(project, [event])
    drain(redis_client)
    stored = ErrorEvent.objects.get(event_id=event["event_id"])
    assert (stored.release.version, stored.environment, stored.user_key) == ("shop@1.0", "production", "id:u1")
    assert stored.flags == {"new-checkout": "true"}
    assert "\u0000" not in ErrorGroup.objects.get().title


def test_regression_is_recorded_as_group_activity(project, redis_client):
    from triage.models import GroupActivity

    send_events(project, [make_event(release="shop@1.0.0")])
    drain(redis_client)
    actions.resolve_in_next_release(ErrorGroup.objects.get(), actor=None, now=timezone.now())
    send_events(project, [make_event(release="shop@1.1.0")])
    drain(redis_client)
    assert list(GroupActivity.objects.values_list("kind", "actor")) == [("regressed", None), ("resolved_in_next_release", None)]


def test_event_received_before_the_resolve_but_digested_after_does_not_regress(project, redis_client):
    send_events(project, [make_event()])
    drain(redis_client)
    send_events(project, [make_event()])  # accepted, waiting in the stream
    actions.resolve(ErrorGroup.objects.get(), actor=None, now=timezone.now())
    drain(redis_client)
    group = ErrorGroup.objects.get()
    assert (group.status, group.event_count) == ("resolved", 2)


def test_lone_surrogates_from_an_sdk_are_stored_as_replacement_characters(client, alice, project, redis_client):
    """json.dumps writes a lone surrogate as the escape \\ud800, which PostgreSQL refuses in text and jsonb."""
    bad = "\ud800"
    event = make_event(release=f"shop@1.0{bad}", environment=f"prod{bad}", user={"id": f"u{bad}1"}, tags={"tenant": bad})
    event["exception"]["values"][-1].update(type=f"Value{bad}Error", value=f"bad {bad} price")
    event["exception"]["values"][-1]["stacktrace"]["frames"][-1]["function"] = f"price{bad}"
    event["contexts"]["flags"]["values"] = [{"flag": f"new{bad}-checkout", "result": bad}]
    event["breadcrumbs"] = {"values": [{"message": f"clicked {bad}"}]}
    send_events(project, [event])
    drain(redis_client)
    stored = ErrorEvent.objects.get(event_id=event["event_id"])
    assert (stored.release.version, stored.environment, stored.user_key) == ("shop@1.0\ufffd", "prod\ufffd", "id:u\ufffd1")
    assert stored.flags == {"new\ufffd-checkout": "\ufffd"}
    group = ErrorGroup.objects.get()
    assert group.title == "Value\ufffdError: bad \ufffd price"
    assert group.culprit == "shop.pricing in price\ufffd"
    payload = json.loads(stored.payload)
    assert payload["tags"] == {"tenant": "\ufffd"}
    assert payload["breadcrumbs"]["values"][0]["message"] == "clicked \ufffd"
    client.force_login(alice)
    html = client.get(f"/groups/{group.id}/").content.decode()
    assert "Value\ufffdError" in html and "clicked \ufffd" in html
