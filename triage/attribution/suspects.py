"""Suspect flags: the flag values a group's events carry much more often than the rest of the project's.

A simpler cousin of Sentry's suspect flags (Sentry ranks flag values by how differently they
are distributed over an issue's events than over the project's:
https://github.com/getsentry/sentry/blob/master/src/sentry/issues/suspect_flags.py). Per flag key we compare the
distribution of its values over the group's events with the distribution over the project's other
error events, each with an "unseen" bucket for events that lack the flag, Laplace-smoothed, scored
with the KL divergence in bits. We compare with the *rest* of the project rather than all of it:
during a spike the group is most of the project's errors, and a baseline made of the group itself
hides the very association we look for. Sentry's rank fusion and Box-Cox step tune a ranking over
hundreds of flags; with tens of flags a divergence threshold plus a lift and volume guard reads
better and is easy to explain in the UI ("on in 100 % of this group's events, 12 % elsewhere").

A flag that is on for everyone cannot be told apart from errors alone; the flags view compares
error rates against real exposures for that.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Sum

from triage import cache_keys
from triage.models import ErrorGroup, ProjectFlag

MIN_SCORE_BITS = 0.2
MIN_LIFT = 1.5
MIN_EVENTS = 10
MIN_BASELINE = 10
UNSEEN = object()


@dataclass(frozen=True)
class FlagShare:
    key: str
    value: str
    count: int
    share: float  # of the group's events
    baseline_share: float | None  # of the project's other error events; None without any
    lift: float | None
    score: float  # divergence of the key's values from the baseline, in bits
    suspect: bool

    @property
    def filter(self) -> str:
        return f"{self.key}:{self.value}"


def flag_shares(
    group_counts: Mapping[tuple[str, str], int],
    group_total: int,
    project_counts: Mapping[tuple[str, str], int],
    project_total: int,
) -> list[FlagShare]:
    """Every (key, value) of the group, suspects first (by score), then by share of the group's events.

    `project_counts` and `project_total` cover all the project's error events, the group's included.
    """
    group_total = max(group_total, max(group_counts.values(), default=0), 1)
    rest_total = max(project_total - group_total, 0)
    by_key: dict[str, dict] = defaultdict(dict)
    for (key, value), count in group_counts.items():
        by_key[key][value] = count
    shares = []
    for key, values in by_key.items():
        rest = {v: max(c - values.get(v, 0), 0) for (k, v), c in project_counts.items() if k == key}
        # The totals may lag the flag counts a little (they are cached per minute): never let a
        # share of "the rest" exceed 100 %.
        key_rest_total = max(rest_total, sum(rest.values()))
        score = _divergence(values, group_total, rest, key_rest_total) if key_rest_total >= MIN_BASELINE else 0.0
        for value, count in values.items():
            shares.append(_share(key, value, count, group_total, rest.get(value, 0), key_rest_total, score))
    return sorted(shares, key=lambda s: (not s.suspect, -s.score if s.suspect else 0, -s.share, s.key, s.value))


def _share(key, value, count, group_total, rest_count, rest_total, score) -> FlagShare:
    share = count / group_total
    baseline = rest_count / rest_total if rest_total else None
    lift = None if baseline is None else ((count + 1) / (group_total + 2)) / ((rest_count + 1) / (rest_total + 2))
    suspect = (
        baseline is not None and rest_total >= MIN_BASELINE and count >= MIN_EVENTS
        and score >= MIN_SCORE_BITS and lift >= MIN_LIFT
    )
    return FlagShare(key, value, count, share, baseline, None if lift is None else round(lift, 2), round(score, 3), suspect)


def _divergence(group: Mapping[str, int], group_total: int, rest: Mapping[str, int], rest_total: int) -> float:
    """KL(group ‖ rest) in bits over the key's values plus an "unseen" bucket, Laplace-smoothed."""
    buckets = set(group) | set(rest)
    g = {v: group.get(v, 0) for v in buckets}
    r = {v: rest.get(v, 0) for v in buckets}
    g[UNSEEN] = max(group_total - sum(g.values()), 0)
    r[UNSEEN] = max(rest_total - sum(r.values()), 0)
    n = len(g)
    g_sum, r_sum = sum(g.values()) + n, sum(r.values()) + n
    total = 0.0
    for v in g:
        p, q = (g[v] + 1) / g_sum, (r[v] + 1) / r_sum
        total += p * math.log2(p / q)
    return max(total, 0.0)


# --- The baselines, read from the database -------------------------------------------------


def project_baselines(project_ids: set[int]) -> dict[int, tuple[dict[tuple[str, str], int], int]]:
    """{project id: ({(key, value): count}, total error events)}: two queries, or one when the
    totals were summed in the last minute (a sum over every group of the project)."""
    key = cache_keys.project_totals(project_ids, int(time.time()) // 60)
    totals = cache.get(key)
    if totals is None:
        totals = dict(
            ErrorGroup.objects.filter(project_id__in=project_ids).values("project_id").annotate(n=Sum("event_count")).values_list("project_id", "n")
        )
        cache.set(key, totals, 120)
    counts: dict[int, dict] = defaultdict(dict)
    for project_id, key, value, count in ProjectFlag.objects.filter(project_id__in=project_ids).values_list("project_id", "key", "value", "count"):
        counts[project_id][(key, value)] = count
    return {p: (counts.get(p, {}), totals.get(p) or 0) for p in project_ids}


def group_flag_shares(group: ErrorGroup, baseline: dict, project_total: int) -> list[FlagShare]:
    """Uses the group's flag_counts (prefetched by the group list)."""
    own = {(f.key, f.value): f.count for f in group.flag_counts.all()}
    return flag_shares(own, group.event_count, baseline, project_total)
