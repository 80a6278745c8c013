"""Which flag explains a group: each flag's values compared within one time window. Pure.

Switchyard is both the flag server and the error sink, so for a flag it serves it knows, per
value and over the same minutes, the users exposed to that value (OFREP targeting keys) and,
of them, the users this group's errors hit. The value whose exposed users were hit most often is
tested against the flag's other values with Fisher's exact test (one-sided: hit more often),
Bonferroni-corrected for the number of flags tried. Only that value can be suspect, so both
values of one flag are never suspect at once.

A flag evaluated by another tool has no exposures: its values are then compared on events, the
share of this group's events carrying the value against the share of the project's other errors
in the same minutes, and the evidence says so. Comparing over one window is what keeps a flag
that changed value mid-way (a kill) from looking suspect on groups it has nothing to do with.

A change of the flag shortly before the group appeared or its spike began is evidence too, and
the only kind there is for a flag served the same to everyone; it makes the flag suspect, not
significant (the guard acts on significance only).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from scipy import stats

ALPHA = 0.01
MIN_AFFECTED = 5  # users (or events, compared on events) with the value
MIN_LIFT = 2.0
TIMING_MINUTES = 30  # a change this long before the onset counts as timing evidence


@dataclass(frozen=True)
class ValueCounts:
    """One value of a flag over the window."""

    value: str
    affected: int  # users this group's errors hit, among those exposed (or events, without exposures)
    exposed: int | None  # users who got the value (None: no exposures, a flag of another tool)
    others: int = 0  # the project's other errors carrying the value (the events comparison)
    variant: str = ""  # the flag's name for the value, when the flags app serves it


@dataclass(frozen=True)
class Change:
    action: str
    at: dt.datetime
    by: str
    environment: str = ""
    value: str = ""  # the value the change started serving, when it is one ("true" for an enable)


@dataclass(frozen=True)
class Suspicion:
    key: str
    value: str
    environment: str
    basis: str  # "exposures", "events" or "timing"
    significant: bool
    suspect: bool
    p_value: float | None
    affected_with: int
    exposed_with: int | None
    affected_without: int
    exposed_without: int | None
    evidence: str
    changes: list[Change] = field(default_factory=list)
    variant: str = ""

    @property
    def rate_with(self) -> float | None:
        return self.affected_with / self.exposed_with if self.exposed_with else None

    @property
    def rate_without(self) -> float | None:
        return self.affected_without / self.exposed_without if self.exposed_without else None


@dataclass(frozen=True)
class Onset:
    at: dt.datetime
    what: str  # "this group appeared" or "the spike began"


def rank(flags: dict[str, list[ValueCounts]], changes: dict[str, list[Change]], environment: str,
         onset: Onset, other_events: int = 0) -> list[Suspicion]:
    """One Suspicion per flag key, best explanation first. `other_events` is the number of the
    project's other errors in the window (the events comparison's second row)."""
    tried = max(len(flags), 1)
    found = [_suspicion(key, values, changes.get(key, []), environment, onset, other_events, tried)
             for key, values in flags.items() if values]
    return sorted(found, key=lambda s: (not s.significant, not s.suspect, s.p_value if s.p_value is not None else 1.0, s.key))


def _suspicion(key, values, changes, environment, onset: Onset, other_events, tried) -> Suspicion:
    timing = _timing(changes, environment, onset)
    exposed = [v for v in values if v.exposed]
    if len(exposed) >= 2:
        top = max(exposed, key=lambda v: (v.affected / v.exposed, v.affected))
        rest_affected = sum(v.affected for v in exposed if v is not top)
        rest_exposed = sum(v.exposed for v in exposed if v is not top)
        p = _fisher(top.affected, top.exposed, rest_affected, rest_exposed) * tried
        lift = _lift(top.affected, top.exposed, rest_affected, rest_exposed)
        significant = p < ALPHA and top.affected >= MIN_AFFECTED and lift >= MIN_LIFT
        words = (f"{_pct(top.affected, top.exposed)} of the {top.exposed:,} users who got {top.value} hit this error, "
                 f"against {_pct(rest_affected, rest_exposed)} of the {rest_exposed:,} who got another value "
                 f"({_p_words(p)}, {tried} flag{'s' if tried > 1 else ''} compared)")
        return _make(key, top, environment, "exposures", significant, p, top.affected, top.exposed,
                     rest_affected, rest_exposed, words, timing, onset)
    if len(values) >= 1 and all(v.exposed is None for v in values) and other_events:
        group_total = sum(v.affected for v in values)
        top = max(values, key=lambda v: (v.affected / max(group_total, 1)) / ((v.others + 1) / (other_events + 1)))
        p = _fisher(top.affected, group_total, top.others, other_events) * tried
        lift = _lift(top.affected, group_total, top.others, other_events)
        significant = p < ALPHA and top.affected >= MIN_AFFECTED and lift >= MIN_LIFT
        words = (f"{top.value} is on {_pct(top.affected, group_total)} of this group's {group_total:,} events, against "
                 f"{_pct(top.others, other_events)} of the project's other {other_events:,} errors in the same minutes "
                 f"({_p_words(p)}; events only: the flag is evaluated by another tool)")
        return _make(key, top, environment, "events", significant, p, top.affected, None, top.others, None,
                     words, timing, onset)
    only = max(values, key=lambda v: v.affected)
    words = (f"everyone got {only.value}: nothing to compare it with" if only.exposed
             else "too little to compare in this window")
    return _make(key, only, environment, "none", False, None, only.affected,
                 only.exposed, 0, 0 if only.exposed else None, words, timing, onset)


def _make(key, top: ValueCounts, environment, basis, significant, p, a_with, e_with, a_without, e_without, words,
          timing, onset):
    value = top.value
    # Only a change that started serving this very value is evidence for it: creating a flag or
    # moving a rollout serves several values, and is evidence for none of them alone.
    related = [c for c in timing if c.value == value]
    if related:
        words = f"{_change_words(related[-1], onset)}; {words}"
    suspect = significant or bool(related) and a_with >= MIN_AFFECTED
    return Suspicion(key, value, environment, basis if basis != "none" or not related else "timing", significant,
                     suspect, None if p is None else min(p, 1.0), a_with, e_with, a_without, e_without, words, timing,
                     top.variant or value)


def _timing(changes: list[Change], environment: str, onset: Onset) -> list[Change]:
    """The flag's changes in that environment (or to the flag itself) shortly before the onset,
    oldest first."""
    window = dt.timedelta(minutes=TIMING_MINUTES)
    found = [c for c in changes if (not c.environment or c.environment == environment) and onset.at - window <= c.at <= onset.at]
    return sorted(found, key=lambda c: c.at)


def _change_words(change: Change, onset: Onset) -> str:
    minutes = round((onset.at - change.at).total_seconds() / 60)
    when = "less than a minute" if minutes < 1 else f"{minutes} min"
    where = f" in {change.environment}" if change.environment else ""
    return f"{change.action}{where} {when} before {onset.what}, by {change.by}"


def _fisher(a: int, n: int, b: int, m: int) -> float:
    """One-sided: is a/n larger than b/m?"""
    if n <= 0 or m <= 0:
        return 1.0
    table = [[a, max(n - a, 0)], [b, max(m - b, 0)]]
    return float(stats.fisher_exact(table, alternative="greater").pvalue)


def _lift(a: int, n: int, b: int, m: int) -> float:
    return ((a + 0.5) / (n + 1)) / ((b + 0.5) / (m + 1))


def _pct(a: int, n: int) -> str:
    if not n:
        return "0 %"
    share = 100 * a / n
    return f"{share:.0f} %" if share >= 10 or share == 0 else f"{share:.1f} %"


def _p_words(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {min(p, 1.0):.3f}"
