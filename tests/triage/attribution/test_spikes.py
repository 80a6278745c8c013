"""triage.attribution.spikes: the spike score of per-minute counts, and the scores of all groups from Redis."""

import datetime as dt

import pytest

from triage.attribution import spikes
from triage.grouping import counters

NOW = dt.datetime(2026, 3, 2, 12, 30, 20, tzinfo=dt.UTC)
MINUTE = counters.minute_of(NOW)


def per_minute(recent: int, baseline: int) -> dict[int, int]:
    """`recent` events in each of the last 5 minutes, `baseline` in each of the 60 before."""
    counts = {MINUTE - 60 * i: recent for i in range(5)}
    counts.update({MINUTE - 60 * i: baseline for i in range(5, 65)})
    return counts


def test_steady_traffic_scores_about_one():
    assert spikes.spike_score(per_minute(10, 10), NOW) == 1.0


def test_ten_times_the_baseline_rate_scores_ten():
    assert spikes.spike_score(per_minute(50, 5), NOW) == 10.0


def test_a_new_group_is_compared_with_the_floor_of_one_event_a_minute():
    assert spikes.spike_score({MINUTE: 30}, NOW) == 6.0


def test_few_recent_events_score_zero_whatever_the_ratio():
    assert spikes.spike_score({MINUTE: 9}, NOW) == 0.0
    assert not spikes.is_spiking(spikes.spike_score({MINUTE: 9}, NOW))


def test_a_spike_without_events_in_the_last_two_minutes_is_over():
    stopped = {MINUTE - 120: 200, MINUTE - 180: 200}
    assert spikes.spike_score(stopped, NOW) == 0.0
    assert spikes.spike_score({**stopped, MINUTE - 60: 1}, NOW) > spikes.SPIKE_THRESHOLD


def test_events_older_than_the_baseline_window_are_ignored():
    old = {MINUTE - 60 * 100: 10_000, MINUTE: 20}
    assert spikes.spike_score(old, NOW) == spikes.spike_score({MINUTE: 20}, NOW)


def test_a_quieter_group_than_usual_is_not_spiking():
    assert not spikes.is_spiking(spikes.spike_score(per_minute(2, 10), NOW))


@pytest.mark.parametrize(("score", "spiking"), [(2.99, False), (3.0, True), (40.0, True)])
def test_spiking_starts_at_the_threshold(score, spiking):
    assert spikes.is_spiking(score) is spiking


def test_spike_scores_reads_every_busy_group_from_redis(redis_client):
    key = counters.counts_key
    redis_client.hset(key(MINUTE), mapping={"1": 40, "2": 3})
    redis_client.hset(key(MINUTE - 60 * 10), mapping={"1": 2, "3": 500})
    scores = spikes.spike_scores(redis_client, NOW)
    assert set(scores) == {1}  # group 2 is too quiet, group 3 only has baseline traffic
    assert scores[1] == spikes.spike_score({MINUTE: 40, MINUTE - 600: 2}, NOW)
