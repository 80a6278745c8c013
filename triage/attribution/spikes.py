"""Spike score: how much faster a group fails now than it did in the hour before.

score = (events per minute over the last RECENT minutes) / (events per minute over the BASELINE
minutes before them), with the baseline rate floored at FLOOR_PER_MINUTE so a brand-new group is
compared with "about one a minute" rather than divided by zero. A group with fewer than
MIN_EVENTS recent events scores 0 whatever its ratio: three events after a quiet hour are not an
incident (the low-volume guard). A score of SPIKE_THRESHOLD or more is shown as spiking.

The current minute is part of the recent window although it is still filling up: a spike must
show as soon as it starts, and a partial minute can only understate it. A spike with no event in
the current and the previous minute is over (say, its flag was just killed) and scores 0, rather
than staying "spiking" until it leaves the five-minute window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.core.cache import cache

from triage import cache_keys
from triage.grouping import counters

RECENT = 5
BASELINE = 60
MIN_EVENTS = 10
FLOOR_PER_MINUTE = 1.0
SPIKE_THRESHOLD = 3.0
MAX_RANKED = 500  # groups ranked by spike score per page view; the rest follow by last seen


def window(now: dt.datetime, recent: int = RECENT, baseline: int = BASELINE) -> tuple[list[int], list[int]]:
    """(recent minutes, baseline minutes) as epoch seconds, newest first."""
    current = counters.minute_of(now)
    recent_minutes = [current - 60 * i for i in range(recent)]
    baseline_minutes = [current - 60 * i for i in range(recent, recent + baseline)]
    return recent_minutes, baseline_minutes


def spike_score(
    counts: Mapping[int, int],
    now: dt.datetime,
    recent: int = RECENT,
    baseline: int = BASELINE,
    min_events: int = MIN_EVENTS,
    floor: float = FLOOR_PER_MINUTE,
) -> float:
    """The spike score of one group from its per-minute counts {minute epoch: count}.

    Minutes missing from `counts` count as zero; minutes outside the two windows are ignored.
    """
    recent_minutes, baseline_minutes = window(now, recent, baseline)
    recent_total = sum(counts.get(m, 0) for m in recent_minutes)
    if recent_total < min_events or not any(counts.get(m, 0) for m in recent_minutes[:2]):
        return 0.0
    baseline_rate = sum(counts.get(m, 0) for m in baseline_minutes) / baseline
    return round((recent_total / recent) / max(baseline_rate, floor), 2)


def is_spiking(score: float) -> bool:
    return score >= SPIKE_THRESHOLD


def spike_scores(redis, now: dt.datetime) -> dict[int, float]:
    """{group id: score > 0} for every group, from the hot counters in Redis.

    Two round trips whatever the number of groups: the recent minutes of all groups, then the
    baseline minutes of only the groups busy enough to score (usually a handful).
    """
    recent_minutes, baseline_minutes = window(now)
    hot = counters.hot_minute_counts(redis, recent_minutes)
    totals: dict[int, int] = {}
    for counts in hot.values():
        for group_id, count in counts.items():
            totals[group_id] = totals.get(group_id, 0) + count
    busy = [g for g, total in totals.items() if total >= MIN_EVENTS]
    if not busy:
        return {}
    hot.update(counters.hot_minute_counts(redis, baseline_minutes, busy))
    series = {g: {m: hot[m].get(g, 0) for m in hot} for g in busy}
    scores = {g: spike_score(series[g], now) for g in busy}
    return {g: s for g, s in scores.items() if s > 0}


def cached_spike_scores(redis, now: dt.datetime) -> dict[int, float]:
    """All groups' spike scores, computed at most once per SPIKE_SCORES_SECONDS (all users share them)."""
    key = cache_keys.spike_scores(int(now.timestamp()))
    scores = cache.get(key)
    if scores is None:
        scores = spike_scores(redis, now)
        cache.set(key, scores, cache_keys.SPIKE_SCORES_SECONDS * 2)
    return scores
