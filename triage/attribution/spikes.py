"""Spike detection: is a group (or a project) failing significantly faster than it usually does?

A count test, not a ratio alone. For each group the per-minute counts of the last RECENT minutes
are tested against the rate its own history predicts (the BASELINE minutes before them, with a
half-event prior so a quiet group has a small rate rather than none):

- Poisson, or negative binomial when the history is overdispersed (variance above 1.5 × the mean:
  bursty groups must burst harder to count), for the sum over the recent minutes;
- spiking when that sum is significant (p < MAX_P), at least MIN_EVENTS, at least MIN_RATIO times
  the expected rate, and still going: the current or the last minute is above the baseline's
  upper band. So an odd minute is over two minutes later, a spike shows in the minute it
  begins, and it is over within two minutes of the rate returning to normal (or stopping).

A group younger than MIN_HISTORY minutes has no history of its own: it is "new", and spiking only
when it alone outpaces what the whole project usually sends (its rate before the group appeared),
so on a fresh install, where every group is new and the project has no past, nothing spikes.

The current minute is counted for the part of it that has passed. `began_at` is the first minute
of the run of elevated minutes that ends now. Per-minute counts come from the hot counters in
Redis (triage.grouping.counters), which hold three hours.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.cache import cache
from scipy import stats

from triage import cache_keys
from triage.grouping import counters

RECENT = 5
BASELINE = 60
WINDOW = RECENT + BASELINE
MIN_EVENTS = 10
MIN_RATIO = 3.0
MAX_P = 1e-6
MIN_HISTORY = 5  # minutes of a group's own history before its baseline is trusted
OVERDISPERSED = 1.5  # variance ÷ mean above which the negative binomial replaces the Poisson
NEW_GROUP_RATIO = 1.0  # a new group spikes when its rate passes the project's usual total rate
MIN_PROJECT_PAST = (2, 30)  # a project's past counts for new groups from 2 minutes and 30 events
MAX_RANKED = 500  # groups ranked by spike score per page view; the rest follow by last seen


@dataclass(frozen=True)
class Spike:
    spiking: bool
    new: bool = False
    ratio: float = 0.0  # the recent rate ÷ the expected rate
    p_value: float = 1.0
    expected: float = 0.0  # events per minute
    observed: float = 0.0  # events per minute, over the recent minutes
    began_at: int | None = None  # epoch seconds of the minute the spike began

    @property
    def score(self) -> float:
        """What the list sorts by: the ratio of a spike, 0 for anything else."""
        return round(self.ratio, 1) if self.spiking else 0.0

    @property
    def began(self) -> dt.datetime | None:
        return dt.datetime.fromtimestamp(self.began_at, tz=dt.UTC) if self.began_at is not None else None


QUIET = Spike(spiking=False)


def assess(series: Sequence[int], current_minute: int, elapsed: float, first_index: int | None = None,
           project_past: tuple[int, int] | None = None) -> Spike:
    """One group's state from its per-minute counts.

    `series`: WINDOW counts, oldest first, the last being the current minute (epoch seconds
    `current_minute`), of which `elapsed` (0–1) has passed. `first_index`: where in the series
    the group first appeared, None when it is older than the window. `project_past`: the
    project's (events, minutes) before the group appeared within the window, for a new group.
    """
    recent = series[-RECENT:]
    k = sum(recent)
    if k < MIN_EVENTS:
        return QUIET
    minutes = RECENT - 1 + max(elapsed, 0.1)
    start = 0 if first_index is None else first_index
    history = series[start:-RECENT] if start < len(series) - RECENT else []
    if len(history) >= MIN_HISTORY:
        return _against_history(series, history, k, minutes, current_minute)
    new = first_index is not None
    if not project_past or project_past[1] < MIN_PROJECT_PAST[0] or project_past[0] < MIN_PROJECT_PAST[1]:
        return Spike(spiking=False, new=new, observed=k / minutes)
    usual = project_past[0] / project_past[1]
    ratio = (k / minutes) / usual
    p_value = float(stats.poisson.sf(k - 1, usual * minutes))
    spiking = ratio >= NEW_GROUP_RATIO and p_value < MAX_P
    began = current_minute - 60 * (len(series) - 1 - start) if spiking else None
    return Spike(spiking, new, ratio, p_value, usual, k / minutes, began)


def _against_history(series, history, k: int, minutes: float, current_minute: int) -> Spike:
    mean = (sum(history) + 0.5) / len(history)
    variance = sum((c - mean) ** 2 for c in history) / max(len(history) - 1, 1)
    expected = mean * minutes
    if variance > OVERDISPERSED * mean:
        shape = mean * mean / (variance - mean)  # per minute; shapes add over the minutes
        p_value = float(stats.nbinom.sf(k - 1, shape * minutes, mean / variance))
    else:
        p_value = float(stats.poisson.sf(k - 1, expected))
    ratio = (k / minutes) / mean
    upper = mean + 3 * math.sqrt(max(variance, mean))
    going = series[-1] > upper or series[-2] > upper
    spiking = p_value < MAX_P and ratio >= MIN_RATIO and going
    return Spike(spiking, False, ratio, p_value, mean, k / minutes, _onset(series, upper, current_minute) if spiking else None)


def _onset(series: Sequence[int], upper: float, current_minute: int) -> int:
    """The first minute of the run of elevated minutes that reaches the last elevated one."""
    index = max(i for i, c in enumerate(series) if c > upper)
    while index > 0 and series[index - 1] > upper:
        index -= 1
    return current_minute - 60 * (len(series) - 1 - index)


# --- every group at once, from Redis -------------------------------------------------------------


def minutes_of(now: dt.datetime) -> list[int]:
    """The WINDOW minutes as epoch seconds, oldest first, ending with the current one."""
    current = counters.minute_of(now)
    return [current - 60 * i for i in range(WINDOW - 1, -1, -1)]


def spike_states(redis, now: dt.datetime) -> dict[int, Spike]:
    """{group id: Spike} for the groups that are spiking or new, from the hot counters.

    Three Redis round trips and one query whatever the number of groups: the recent minutes of
    every group, the whole window of the few with MIN_EVENTS recent events, and the projects'
    per-minute totals (for new groups); then those groups' projects and first-seen times.
    """
    minutes = minutes_of(now)
    recent = counters.hot_minute_counts(redis, minutes[-RECENT:])
    totals: dict[int, int] = {}
    for counts in recent.values():
        for group_id, count in counts.items():
            totals[group_id] = totals.get(group_id, 0) + count
    busy = [g for g, total in totals.items() if total >= MIN_EVENTS]
    if not busy:
        return {}
    from triage.models import ErrorGroup

    groups = {g: (p, first) for g, p, first in ErrorGroup.objects.filter(id__in=busy).values_list("id", "project_id", "first_seen")}
    earlier = counters.hot_minute_counts(redis, minutes[:-RECENT], list(groups))
    hot = {**earlier, **recent}
    per_project = counters.hot_minute_counts(redis, minutes, key=counters.project_counts_key)
    elapsed = (now.timestamp() - minutes[-1]) / 60
    states = {}
    for group_id, (project_id, first_seen) in groups.items():
        series = [hot[m].get(group_id, 0) for m in minutes]
        first_index = _index_of(first_seen, minutes)
        past = None
        if first_index is not None:
            before = [per_project[m].get(project_id, 0) for m in minutes[:first_index]]
            active = next((i for i, c in enumerate(before) if c), None)
            past = (sum(before), first_index - active) if active is not None else None
        state = assess(series, minutes[-1], elapsed, first_index, past)
        if state.spiking or state.new:
            states[group_id] = state
    return states


def project_spike(redis, project_id: int, now: dt.datetime) -> Spike:
    """The project's own state: all its events together against its usual rate."""
    minutes = minutes_of(now)
    per_project = counters.hot_minute_counts(redis, minutes, [project_id], key=counters.project_counts_key)
    series = [per_project[m].get(project_id, 0) for m in minutes]
    return assess(series, minutes[-1], (now.timestamp() - minutes[-1]) / 60)


def _index_of(moment: dt.datetime, minutes: list[int]) -> int | None:
    minute = int(moment.timestamp()) // 60 * 60
    return None if minute < minutes[0] else (minute - minutes[0]) // 60


def spike_scores(redis, now: dt.datetime) -> dict[int, Spike]:
    return spike_states(redis, now)


def refresh_spike_scores(redis, now: dt.datetime) -> dict[int, Spike]:
    """spike_scores() now, stored for the pages (the watch calls this every few seconds)."""
    states = spike_scores(redis, now)
    cache.set(cache_keys.spike_scores(int(now.timestamp())), states, cache_keys.SPIKE_SCORES_SECONDS * 2)
    return states


def cached_spike_scores(redis, now: dt.datetime) -> dict[int, Spike]:
    """Every spiking or new group's state, computed at most once per SPIKE_SCORES_SECONDS
    (all users share it)."""
    key = cache_keys.spike_scores(int(now.timestamp()))
    states = cache.get(key)
    if states is None:
        states = spike_scores(redis, now)
        cache.set(key, states, cache_keys.SPIKE_SCORES_SECONDS * 2)
    return states
