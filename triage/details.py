"""Read models for the group pages: list rows, the detail page's flag panel and the spike chart.

Each function takes the groups it describes and `now`, and costs a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Sum

from triage import charts, flagstate, spikes, stats
from triage.models import ErrorGroup, GroupEnvironment, ProjectFlag, Release
from triage.suspects import FlagShare, flag_shares

# window → (bucket seconds, buckets) for the list's sparklines
SPARKLINES = {"1h": (60, 60), "24h": (3600, 24), "7d": (6 * 3600, 28), "14d": (12 * 3600, 28), "30d": (86400, 30), "all": (86400, 30)}
ROW_FLAGS = 3


@dataclass
class GroupRow:
    group: ErrorGroup
    sparkline: str
    window_count: int
    score: float
    flags: list[FlagShare] = field(default_factory=list)

    @property
    def spiking(self) -> bool:
        return spikes.is_spiking(self.score)


def group_rows(redis, groups: Sequence[ErrorGroup], window: str, now: dt.datetime, scores: dict[int, float]) -> list[GroupRow]:
    """The list's rows: sparkline over the window, spike score and the most associated flags."""
    step, buckets = SPARKLINES[window]
    start, ids = charts.range_start(now, step, buckets), [g.id for g in groups]
    series = stats.bucket_counts(redis, ids, start, step, buckets, now, db=_stored_buckets(ids, start, step, buckets, now))
    baselines = project_baselines({g.project_id for g in groups})
    rows = []
    for g in groups:
        counts = series.get(g.id, [])
        shares = group_flag_shares(g, *baselines.get(g.project_id, ({}, 0)))
        rows.append(GroupRow(g, charts.sparkline_points(counts), sum(counts), scores.get(g.id, 0.0), shares[:ROW_FLAGS]))
    return rows


def _stored_buckets(group_ids: list[int], start: int, step: int, buckets: int, now: dt.datetime) -> dict:
    """The database part of the sparklines, kept a minute per group: summing a busy group's minute
    rows over 30 days takes tens of ms, and the live part comes fresh from Redis anyway."""
    keys = {f"triage:spark:{g}:{start}:{step}:{buckets}:{stats.minute_of(now)}": g for g in group_ids}
    per_group = {keys[key]: counts for key, counts in cache.get_many(list(keys)).items()}
    missing = [g for g in group_ids if g not in per_group]
    if missing:
        fresh: dict[int, dict[int, int]] = {g: {} for g in missing}
        for (group_id, index), count in stats.db_buckets(missing, start, step, buckets).items():
            fresh[group_id][index] = count
        cache.set_many({key: fresh[g] for key, g in keys.items() if g in fresh}, 90)
        per_group.update(fresh)
    return {(g, index): count for g, counts in per_group.items() for index, count in counts.items()}


def project_baselines(project_ids: set[int]) -> dict[int, tuple[dict[tuple[str, str], int], int]]:
    """{project id: ({(key, value): count}, total error events)}: two queries, or one when the
    totals were summed in the last minute (a sum over every group of the project)."""
    key = f"triage:project-totals:{','.join(map(str, sorted(project_ids)))}:{int(time.time()) // 60}"
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
    """Uses the group's prefetched flag_counts (triage.queries.with_breakdowns)."""
    own = {(f.key, f.value): f.count for f in group.flag_counts.all()}
    return flag_shares(own, group.event_count, baseline, project_total)


@dataclass
class FlagRow:
    key: str
    values: list[FlagShare]  # suspects first, then by share
    flag: object | None  # flags.models.Flag, when the flags app manages this key
    environment: str
    enabled: bool | None  # in `environment`; None for an unmanaged key
    last_change: object | None = None  # flags.models.FlagChange

    @property
    def suspect(self) -> bool:
        return any(v.suspect for v in self.values)


def flag_panel(group: ErrorGroup, environment: str) -> list[FlagRow]:
    """One row per flag key seen on a group's events: its values' shares, state in `environment`
    and last change. Keys with a suspect value come first."""
    baseline, total = project_baselines({group.project_id})[group.project_id]
    shares = group_flag_shares(group, baseline, total)
    keys = {s.key for s in shares}
    flags = flagstate.flags_by_key([group.project_id], keys)
    last_change = {}
    for change in flagstate.changes(group.project_id, keys, limit=200):
        last_change.setdefault(change.flag_key, change)
    by_key: dict[str, list[FlagShare]] = {}
    for share in shares:
        by_key.setdefault(share.key, []).append(share)
    rows = []
    for key, values in by_key.items():
        flag = flags.get((group.project_id, key))
        enabled = flagstate.enabled_in(flag, environment) if flag else None
        rows.append(FlagRow(key, values, flag, environment, enabled, last_change.get(key)))
    return rows


def main_environment(group: ErrorGroup) -> str:
    """Where most of the group's events happened; production when it has none recorded."""
    row = GroupEnvironment.objects.filter(group=group).order_by("-count", "environment").values_list("environment", flat=True).first()
    return row or "production"


def chart_markers(group: ErrorGroup, start: dt.datetime, end: dt.datetime) -> list[charts.Marker]:
    """Releases first seen in the range, and changes to the flags seen on the group's events."""
    markers = [
        charts.Marker(r.first_seen, "release", r.version, f"release {r.version} first seen")
        for r in Release.objects.filter(project_id=group.project_id, first_seen__gte=start, first_seen__lt=end)[:30]
    ]
    keys = list(group.flag_counts.values_list("key", flat=True).distinct())
    for change in flagstate.changes(group.project_id, keys, since=start, limit=30):
        where = f" in {change.environment}" if change.environment else ""
        label = f"{change.flag_key} {change.action}{where}"
        markers.append(charts.Marker(change.created_at, "flag", label, f"{label} by {change.who}: {change.reason}"))
    return markers


def group_figure(redis, group: ErrorGroup, range_name: str, now: dt.datetime) -> dict:
    """The spike chart of one group as Plotly figure JSON."""
    step, buckets = charts.RANGES[range_name]
    start = charts.range_start(now, step, buckets)
    counts = stats.bucket_counts(redis, [group.id], start, step, buckets, now)[group.id]
    begin = dt.datetime.fromtimestamp(start, tz=dt.UTC)
    return charts.spike_figure(counts, start, step, chart_markers(group, begin, now + dt.timedelta(seconds=step)))
