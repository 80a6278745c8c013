"""Merge and unmerge (triage.grouping.regroup, count_moves): events, breakdowns, minute counts and
users follow; merged fingerprints keep landing in the merged group; nothing is counted twice, even
for an event a worker committed before the regrouping and acknowledges after it."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from tests.factories import grant, make_project
from tests.triage.helpers import crash, push
from tests.triage.pipeline import consumer, drain, send_events
from triage import stream, tasks
from triage.digest.events import acknowledge, digest_events, prepare
from triage.grouping import count_moves, counters
from triage.grouping.regroup import group_fingerprints, merge_groups, unmerge_fingerprints
from triage.models import (
    CountMove,
    ErrorEvent,
    ErrorGroup,
    GroupActivity,
    GroupFingerprint,
    GroupMinuteCount,
    GroupRedirect,
    GroupRelease,
    GroupTagValue,
)
from triage.stream import IngestMessage

pytestmark = pytest.mark.django_db


def events_of(site: str, n: int, **extra) -> list[dict]:
    return [crash(site, user={"id": f"{site}-{i}"}, **extra) for i in range(n)]


@pytest.fixture
def pair(project, redis_client):
    """Group `price` (3 events, shop@1.4.0, tenant acme) and group `tax` (2 events, shop@1.5.0, tenant globex)."""
    push(project, redis_client, events_of("price", 3, release="shop@1.4.0", tags={"tenant": "acme"}))
    push(project, redis_client, events_of("tax", 2, release="shop@1.5.0", tags={"tenant": "globex"}))
    return site_group(project, "price"), site_group(project, "tax")


def site_group(project, site: str) -> ErrorGroup:
    return ErrorEvent.objects.filter(project=project, group__culprit=f"shop.pricing in {site}").first().group


def hot(redis_client, group_ids) -> dict[int, int]:
    """Per group, its events counted in Redis over the last few minutes."""
    minute = counters.minute_of(timezone.now())
    found = Counter()
    for counts in counters.hot_minute_counts(redis_client, [minute - 60 * i for i in range(5)], list(group_ids)).values():
        found.update(counts)
    return {g: found.get(g, 0) for g in group_ids}


def stored_minutes(group_id: int) -> int:
    return sum(GroupMinuteCount.objects.filter(group_id=group_id).values_list("count", flat=True))


def test_merge_moves_everything_into_the_group_with_most_events(pair, redis_client, alice):
    price, tax = pair
    counters.roll_up_counts(redis_client, timezone.now())  # rolled up before: the database half moves too
    into = merge_groups(redis_client, [tax.id, price.id], actor=alice, now=timezone.now())
    assert into.id == price.id and into.event_count == 5 and into.users_affected == 5
    assert not ErrorGroup.objects.filter(id=tax.id).exists()
    assert ErrorEvent.objects.filter(group=price).count() == 5
    assert dict(GroupRelease.objects.filter(group=price).values_list("release__version", "count")) == {"shop@1.4.0": 3, "shop@1.5.0": 2}
    assert dict(GroupTagValue.objects.filter(group=price, key="tenant").values_list("value", "count")) == {"acme": 3, "globex": 2}
    assert hot(redis_client, [price.id, tax.id]) == {price.id: 5, tax.id: 0}
    assert stored_minutes(price.id) == 5
    assert GroupFingerprint.objects.get(fingerprint=tax.fingerprint).group_id == price.id
    assert GroupRedirect.objects.get(previous_group_id=tax.id).group_id == price.id
    merged = GroupActivity.objects.get(group=price, kind="merged")
    assert (merged.actor, merged.data["groups"][0]["id"], merged.data["events"]) == (alice, tax.id, 2)
    assert not CountMove.objects.exists()


def test_a_merged_fingerprint_keeps_landing_in_the_merged_group(project, pair, redis_client, alice):
    price, tax = pair
    merge_groups(redis_client, [price.id, tax.id], actor=alice, now=timezone.now())
    push(project, redis_client, events_of("tax", 4, release="shop@1.5.0"))
    assert set(ErrorGroup.objects.filter(project=project).values_list("id", flat=True)) == {price.id}
    assert ErrorGroup.objects.get(id=price.id).event_count == 9
    assert hot(redis_client, [price.id]) == {price.id: 9}


def test_one_batch_with_both_merged_fingerprints_counts_each_event_once(project, pair, redis_client, alice):
    price, tax = pair
    merge_groups(redis_client, [price.id, tax.id], actor=alice, now=timezone.now())
    push(project, redis_client, events_of("tax", 2) + events_of("price", 3))  # one batch, two fingerprints, one group
    assert ErrorGroup.objects.get(id=price.id).event_count == 10 == ErrorEvent.objects.filter(group=price).count()
    assert hot(redis_client, [price.id]) == {price.id: 10}


def test_an_event_committed_before_the_merge_and_acknowledged_after_counts_in_the_merged_group(project, pair, redis_client, alice):
    """The race a live worker runs: its batch committed into the group about to be merged away,
    its acknowledgement (carrying that group's id) comes after the merge."""
    price, tax = pair
    send_events(project, events_of("tax", 1))
    consumer(redis_client, "slow")
    [(message_id, fields)] = redis_client.xreadgroup(stream.GROUP, "slow", {stream.EVENTS: ">"})[0][1]
    counted = digest_events([prepare(message_id, IngestMessage.from_fields(fields), "")], timezone.now())
    assert counted[0].group_id == tax.id
    merge_groups(redis_client, [price.id, tax.id], actor=alice, now=timezone.now())
    acknowledge(redis_client, stream.EVENTS, counted)  # still says tax
    assert hot(redis_client, [price.id, tax.id]) == {price.id: 6, tax.id: 0}
    assert ErrorGroup.objects.get(id=price.id).event_count == 6 == ErrorEvent.objects.filter(group=price).count()


def test_merge_refuses_groups_of_two_projects_and_a_single_group(pair, redis_client, alice, charlie):
    price, _ = pair
    other = make_project("billing", members=[alice])
    push(other, redis_client, events_of("price", 1))
    with pytest.raises(ValueError, match="one project"):
        merge_groups(redis_client, [price.id, ErrorGroup.objects.get(project=other).id], actor=alice, now=timezone.now())
    with pytest.raises(ValueError, match="two or more"):
        merge_groups(redis_client, [price.id], actor=alice, now=timezone.now())
    assert ErrorGroup.objects.count() == 3


def test_merging_a_group_that_was_merged_into_follows_the_chain(project, pair, redis_client, alice):
    price, tax = pair
    push(project, redis_client, events_of("ship", 7))
    ship = site_group(project, "ship")
    merge_groups(redis_client, [price.id, tax.id], actor=alice, now=timezone.now())
    merge_groups(redis_client, [price.id, ship.id], actor=alice, now=timezone.now())  # ship has more events
    assert set(GroupRedirect.objects.values_list("previous_group_id", "group_id")) == {(tax.id, ship.id), (price.id, ship.id)}
    assert redis_client.hget(counters.GROUP_REDIRECTS, tax.id) == str(ship.id).encode()
    assert ErrorGroup.objects.get(id=ship.id).event_count == 12 and hot(redis_client, [ship.id]) == {ship.id: 12}


def test_unmerge_splits_a_fingerprint_back_out_with_its_events_and_counts(project, pair, redis_client, alice):
    price, tax = pair
    merge_groups(redis_client, [price.id, tax.id], actor=alice, now=timezone.now())
    new = unmerge_fingerprints(redis_client, price, [tax.fingerprint], actor=alice, now=timezone.now())
    price.refresh_from_db()
    assert (price.event_count, new.event_count) == (3, 2)
    assert new.fingerprint == tax.fingerprint and new.title == tax.title and new.culprit == tax.culprit
    assert set(ErrorEvent.objects.filter(group=new).values_list("fingerprint", flat=True)) == {tax.fingerprint}
    assert dict(GroupRelease.objects.filter(group=price).values_list("release__version", "count")) == {"shop@1.4.0": 3}
    assert dict(GroupRelease.objects.filter(group=new).values_list("release__version", "count")) == {"shop@1.5.0": 2}
    assert dict(GroupTagValue.objects.filter(group=price, key="tenant").values_list("value", "count")) == {"acme": 3}
    assert dict(GroupTagValue.objects.filter(group=new, key="tenant").values_list("value", "count")) == {"globex": 2}
    assert hot(redis_client, [price.id, new.id]) == {price.id: 3, new.id: 2}
    assert (stored_minutes(price.id), stored_minutes(new.id)) == (3, 2)
    assert (price.users_affected, new.users_affected) == (3, 2)
    assert not GroupFingerprint.objects.filter(fingerprint=tax.fingerprint).exists()  # it is the new group's own
    push(project, redis_client, events_of("tax", 1))
    assert ErrorEvent.objects.filter(group=new).count() == 3 and hot(redis_client, [price.id, new.id]) == {price.id: 3, new.id: 3}
    kinds = GroupActivity.objects.filter(kind="unmerged").values_list("group_id", "data")
    assert {g: d["events"] for g, d in kinds} == {price.id: 2, new.id: 2}


def test_an_event_committed_before_the_unmerge_and_acknowledged_after_counts_where_it_went(project, pair, redis_client, alice):
    price, tax = pair
    merge_groups(redis_client, [price.id, tax.id], actor=alice, now=timezone.now())
    send_events(project, events_of("tax", 1))
    consumer(redis_client, "slow")
    [(message_id, fields)] = redis_client.xreadgroup(stream.GROUP, "slow", {stream.EVENTS: ">"})[0][1]
    counted = digest_events([prepare(message_id, IngestMessage.from_fields(fields), "")], timezone.now())
    assert counted[0].group_id == price.id
    new = unmerge_fingerprints(redis_client, price, [tax.fingerprint], actor=alice, now=timezone.now())
    acknowledge(redis_client, stream.EVENTS, counted)  # still says price
    assert hot(redis_client, [price.id, new.id]) == {price.id: 3, new.id: 3}
    assert ErrorGroup.objects.get(id=new.id).event_count == 3 == ErrorEvent.objects.filter(group=new).count()


def test_a_redelivery_after_the_unmerge_counts_once_where_the_event_went(project, pair, redis_client, alice):
    """The worker died after its commit: another one reclaims the message after the unmerge."""
    price, tax = pair
    merge_groups(redis_client, [price.id, tax.id], actor=alice, now=timezone.now())
    send_events(project, events_of("tax", 1))
    consumer(redis_client, "doomed")
    [(message_id, fields)] = redis_client.xreadgroup(stream.GROUP, "doomed", {stream.EVENTS: ">"})[0][1]
    digest_events([prepare(message_id, IngestMessage.from_fields(fields), "")], timezone.now())
    new = unmerge_fingerprints(redis_client, price, [tax.fingerprint], actor=alice, now=timezone.now())
    survivor = consumer(redis_client, "survivor")
    survivor.options["CLAIM_IDLE_MS"] = 0
    survivor.run_once()
    assert hot(redis_client, [price.id, new.id]) == {price.id: 3, new.id: 3}


def test_unmerging_the_own_fingerprint_leaves_the_group_another(project, pair, redis_client, alice):
    price, tax = pair
    merge_groups(redis_client, [price.id, tax.id], actor=alice, now=timezone.now())
    new = unmerge_fingerprints(redis_client, price, [price.fingerprint], actor=alice, now=timezone.now())
    own = price.fingerprint
    price.refresh_from_db()
    assert (price.fingerprint, new.fingerprint) == (tax.fingerprint, own)
    assert (price.event_count, new.event_count) == (2, 3)
    push(project, redis_client, events_of("price", 1) + events_of("tax", 1))
    assert (ErrorEvent.objects.filter(group=new).count(), ErrorEvent.objects.filter(group=price).count()) == (4, 3)


def test_unmerge_refuses_all_or_foreign_fingerprints(pair, redis_client, alice):
    price, tax = pair
    merge_groups(redis_client, [price.id, tax.id], actor=alice, now=timezone.now())
    with pytest.raises(ValueError, match="at least one"):
        unmerge_fingerprints(redis_client, price, [price.fingerprint, tax.fingerprint], actor=alice, now=timezone.now())
    with pytest.raises(ValueError, match="not all fingerprints"):
        unmerge_fingerprints(redis_client, price, ["f" * 32], actor=alice, now=timezone.now())
    with pytest.raises(ValueError, match="Pick"):
        unmerge_fingerprints(redis_client, price, [], actor=alice, now=timezone.now())
    assert ErrorGroup.objects.get().event_count == 5
    with pytest.raises(ValueError, match="merged into another one meanwhile"):
        unmerge_fingerprints(redis_client, tax, [tax.fingerprint], actor=alice, now=timezone.now())  # tax is gone


def test_minutes_older_than_the_hot_counters_move_in_the_database(project, pair, redis_client, alice):
    """Events of 5 hours ago: their counts are the database's alone (Redis forgot them)."""
    price, tax = pair
    merge_groups(redis_client, [price.id, tax.id], actor=alice, now=timezone.now())
    old = (timezone.now() - dt.timedelta(hours=5)).replace(second=0, microsecond=0)
    ErrorEvent.objects.filter(group=price).update(received_at=old)
    GroupMinuteCount.objects.filter(group=price).delete()
    GroupMinuteCount.objects.create(group=price, minute=old, count=5)
    new = unmerge_fingerprints(redis_client, price, [tax.fingerprint], actor=alice, now=timezone.now())
    assert GroupMinuteCount.objects.get(group=price).count == 3
    assert GroupMinuteCount.objects.get(group=new).count == 2


def test_the_roll_up_applies_a_move_left_over_and_applying_again_changes_nothing(project, pair, redis_client, alice, monkeypatch):
    price, tax = pair
    monkeypatch.setattr(count_moves, "apply_after_commit", lambda redis, move: None)  # Redis was away
    merge_groups(redis_client, [price.id, tax.id], actor=alice, now=timezone.now())
    move = CountMove.objects.get()
    assert hot(redis_client, [price.id, tax.id]) == {price.id: 3, tax.id: 2}
    tasks.roll_up_counts()
    assert hot(redis_client, [price.id, tax.id]) == {price.id: 5, tax.id: 0}
    assert not CountMove.objects.exists() and stored_minutes(price.id) == 5
    count_moves.apply(redis_client, move)  # a second worker that picked it up too
    assert hot(redis_client, [price.id, tax.id]) == {price.id: 5, tax.id: 0} and stored_minutes(price.id) == 5


def test_a_merged_groups_page_leads_to_the_group_it_went_into(client, alice, pair, redis_client, charlie):
    price, tax = pair
    merge_groups(redis_client, [price.id, tax.id], actor=alice, now=timezone.now())
    client.force_login(alice)
    response = client.get(f"/groups/{tax.id}/")
    assert response.status_code == 302 and response["Location"] == f"/groups/{price.id}/"
    client.force_login(charlie)
    assert client.get(f"/groups/{tax.id}/").status_code == 404


def test_the_group_page_lists_fingerprints_with_their_events(client, alice, pair, redis_client):
    price, tax = pair
    merge_groups(redis_client, [price.id, tax.id], actor=alice, now=timezone.now())
    assert group_fingerprints(ErrorGroup.objects.get(id=price.id)) == [
        (price.fingerprint, "its own", 3), (tax.fingerprint, "merged in from another group", 2)]
    client.force_login(alice)
    html = client.get(f"/groups/{price.id}/").content.decode()
    assert tax.fingerprint[:12] in html and 'name="fingerprint"' not in html  # no triage permission: no unmerge
    grant(alice, "triage.change_errorgroup")
    html = client.get(f"/groups/{price.id}/").content.decode()
    assert f'name="fingerprint" value="{tax.fingerprint}"' in html
    assert f"#{tax.id} “" in html  # the history says what was merged in


def test_unmerge_view_needs_post_csrf_and_the_permission(client, alice, bob, pair, redis_client):
    from django.test import Client

    price, tax = pair
    merge_groups(redis_client, [price.id, tax.id], actor=alice, now=timezone.now())
    client.force_login(bob)
    assert client.post(f"/groups/{price.id}/unmerge/", {"fingerprint": tax.fingerprint}).status_code == 403
    grant(alice, "triage.change_errorgroup")
    client.force_login(alice)
    assert client.get(f"/groups/{price.id}/unmerge/").status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.post(f"/groups/{price.id}/unmerge/", {"fingerprint": tax.fingerprint}).status_code == 403
    response = client.post(f"/groups/{price.id}/unmerge/", {"fingerprint": tax.fingerprint}, follow=True)
    assert "Split 2 events out into group #" in response.content.decode()
    assert ErrorGroup.objects.count() == 2
    response = client.post(f"/groups/{price.id}/unmerge/", {"fingerprint": price.fingerprint}, follow=True)
    assert "Keep at least one fingerprint" in response.content.decode()
    drain(redis_client)
