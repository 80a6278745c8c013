"""Merge and unmerge while a real Celery worker digests a steady stream of both fingerprints through
the live server: no event lost, each counted once per minute in the group it ended in, and new
events of a merged (or split) fingerprint land where the merge (or unmerge) put it."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from tests.live import wait_for
from tests.triage.helpers import crash, send_live, settled
from triage import tasks
from triage.grouping import counters
from triage.grouping.regroup import merge_groups, unmerge_fingerprints
from triage.models import ErrorEvent, ErrorGroup, GroupMinuteCount

pytestmark = [pytest.mark.integration]


def send(url: str, project, site: str, public_key: str = "") -> None:
    send_live(url, project, crash(site), public_key)


class Traffic(threading.Thread):
    """Events of `price` and `tax`, alternating, one every ~10 ms."""

    def __init__(self, url, project, n: int):
        super().__init__(daemon=True)
        self.url, self.project, self.n, self.sent = url, project, n, 0
        self.public_key = project.keys.first().public_key  # read here: the thread makes no query

    def run(self):
        for i in range(self.n):
            send(self.url, self.project, "price" if i % 2 else "tax", self.public_key)
            self.sent += 1
            time.sleep(0.01)


def per_minute_in_redis(client, group_id: int) -> Counter:
    now = counters.minute_of(timezone.now())
    hot = counters.hot_minute_counts(client, list(range(now - 1800, now + 60, 60)), [group_id])
    return Counter({m: c[group_id] for m, c in hot.items() if c.get(group_id)})


def per_minute_of_events(group_id: int) -> Counter:
    return Counter(counters.minute_of(t) for t in ErrorEvent.objects.filter(group_id=group_id).values_list("received_at", flat=True))


def run_traffic_and(url, project, client, n: int, expected: int, regroup):
    traffic = Traffic(url, project, n)
    traffic.start()
    wait_for(lambda: traffic.sent >= n // 4, timeout=60, what="traffic under way")
    result = regroup()
    assert traffic.sent < n, "the regrouping should happen while events are still coming"
    traffic.join(120)
    wait_for(lambda: settled(client, expected), timeout=120, what="every event stored and acknowledged")
    return result


def test_merge_and_unmerge_while_the_worker_digests(live_stack, project, alice):
    client = redis.Redis.from_url(settings.REDIS_URL)
    for site in ("price", "tax"):
        send(live_stack.url, project, site)
    wait_for(lambda: settled(client, 2), timeout=60, what="the first two events")
    price = ErrorGroup.objects.get(culprit="shop.pricing in price")
    tax = ErrorGroup.objects.get(culprit="shop.pricing in tax")

    merged = run_traffic_and(live_stack.url, project, client, 200, 202,
                             lambda: merge_groups(client, [price.id, tax.id], actor=alice, now=timezone.now()))
    assert list(ErrorGroup.objects.values_list("id", flat=True)) == [merged.id]
    merged.refresh_from_db()
    assert merged.event_count == 202 == ErrorEvent.objects.filter(group=merged).count()
    assert per_minute_in_redis(client, merged.id) == per_minute_of_events(merged.id)
    gone = tax.id if merged.id == price.id else price.id
    assert per_minute_in_redis(client, gone) == Counter()

    split = run_traffic_and(live_stack.url, project, client, 200, 402,
                            lambda: unmerge_fingerprints(client, merged, [tax.fingerprint], actor=alice, now=timezone.now()))
    merged.refresh_from_db()
    split.refresh_from_db()
    assert set(ErrorEvent.objects.filter(fingerprint=tax.fingerprint).values_list("group_id", flat=True)) == {split.id}
    assert set(ErrorEvent.objects.filter(fingerprint=price.fingerprint).values_list("group_id", flat=True)) == {merged.id}
    for group in (merged, split):
        assert group.event_count == ErrorEvent.objects.filter(group=group).count()
        assert per_minute_in_redis(client, group.id) == per_minute_of_events(group.id)
    assert merged.event_count + split.event_count == 402

    tasks.roll_up_counts()  # under the counts lock, as beat runs it
    for group in (merged, split):
        stored = Counter({counters.minute_of(m): c for m, c in GroupMinuteCount.objects.filter(group=group).values_list("minute", "count") if c})
        assert stored == per_minute_of_events(group.id)
