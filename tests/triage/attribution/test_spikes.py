"""triage.attribution.spikes on synthetic series whose truth is known: flat, steady growth, a daily
cycle, a sudden 20× burst, a single outlier, a burst then silence, a burst that ends, a fresh
install, and a new group on a busy project. Pure: no database, no Redis."""

import math
import random

import pytest

from triage.attribution import spikes
from triage.attribution.spikes import BASELINE, RECENT, WINDOW

MINUTE = 1_790_000_040  # a minute boundary, epoch seconds


def assess(series, elapsed=0.5, **kwargs):
    assert len(series) == WINDOW
    return spikes.assess(series, MINUTE, elapsed, **kwargs)


def poisson_series(rates, seed=1):
    rng = random.Random(seed)

    def draw(lam):  # Knuth's method for small rates, normal approximation for large ones
        if lam > 50:
            return max(0, round(rng.gauss(lam, math.sqrt(lam))))
        limit, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= rng.random()
            if p <= limit:
                return k
            k += 1

    return [draw(lam) for lam in rates]


@pytest.mark.parametrize("seed", range(20))
def test_flat_traffic_never_spikes(seed):
    assert not assess(poisson_series([8] * WINDOW, seed)).spiking


@pytest.mark.parametrize("seed", range(10))
def test_steady_growth_is_not_a_spike(seed):
    rates = [2 + 8 * i / WINDOW for i in range(WINDOW)]  # 2 → 10 a minute over the hour
    assert not assess(poisson_series(rates, seed)).spiking


@pytest.mark.parametrize("phase", [0, 6, 12, 18])
def test_a_daily_cycle_is_not_a_spike(phase):
    # The hour ending now at hour `phase` of a day whose rate swings between 5 and 55 a minute.
    rates = [30 + 25 * math.sin(2 * math.pi * ((phase * 60 + i - WINDOW) / 1440)) for i in range(WINDOW)]
    assert not assess(poisson_series(rates, phase)).spiking


def test_a_sudden_20x_burst_spikes_and_knows_when_it_began():
    series = poisson_series([5] * (BASELINE + 2) + [100] * 3)
    state = assess(series)
    assert state.spiking and state.ratio > 10
    assert state.began_at == MINUTE - 2 * 60  # the burst's first minute
    assert state.score == round(state.ratio, 1)


def test_a_single_outlier_minute_is_not_a_spike():
    series = [5] * WINDOW
    series[-3] = 400
    assert not assess(series).spiking


def test_a_burst_then_silence_is_over_within_two_minutes():
    series = [5] * BASELINE + [200, 200, 200, 0, 0]
    assert not assess(series).spiking
    assert assess([5] * BASELINE + [200, 200, 200, 200, 0]).spiking


def test_a_burst_that_returns_to_the_usual_rate_is_over_within_two_minutes():
    assert not assess([5] * BASELINE + [200, 200, 200, 5, 5]).spiking


def test_a_bursty_group_must_burst_harder_than_its_usual_bursts():
    bursty = ([0] * 9 + [60]) * 6 + [0] * RECENT  # 60 events every ten minutes
    assert not assess(bursty[:-RECENT] + [0, 0, 60, 0, 60]).spiking
    assert assess(bursty[:-RECENT] + [0, 0, 600, 600, 600]).spiking


def test_on_a_fresh_install_every_group_is_new_and_none_spikes():
    first = WINDOW - 3  # everything began three minutes ago
    series = [0] * first + [45, 45, 20]
    state = assess(series, first_index=first, project_past=None)
    assert state.new and not state.spiking


def test_a_new_group_spikes_when_it_alone_outpaces_the_project():
    first = WINDOW - 2
    burst = [0] * first + [1200, 600]
    busy_project = (270 * 10, 10)  # 270 a minute for the ten minutes before it appeared
    state = assess(burst, first_index=first, project_past=busy_project)
    assert state.new and state.spiking and state.began_at == MINUTE - 60
    small = [0] * first + [45, 20]
    assert not assess(small, first_index=first, project_past=busy_project).spiking


def test_a_quiet_old_group_that_wakes_up_spikes():
    assert assess([0] * BASELINE + [0, 0, 30, 40, 20]).spiking


def test_too_few_events_are_never_a_spike():
    assert not assess([0] * BASELINE + [0, 0, 3, 3, 3]).spiking
