"""The project's error chart above the group list: events of all its groups per minute or hour,
with the releases first seen and every flag change of the project marked, as on a group's chart."""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache

from projects.models import Project
from triage import cache_keys, flagstate
from triage.grouping import counters, series
from triage.models import Release
from triage.pages import charts

RANGES = ("1h", "24h", "7d", "14d")  # the group chart's ranges (charts.RANGES)
CHART_CACHE_SECONDS = 120
MARKERS = 30


def project_markers(project_id: int, start: dt.datetime, end: dt.datetime, flag_keys=None) -> list[charts.Marker]:
    """Releases first seen in the range, and the project's flag changes: of every flag by default
    (the project chart is where a change that broke something the groups do not name shows up),
    of `flag_keys` only for a group's chart."""
    markers = [
        charts.Marker(r.first_seen, "release", r.version, f"release {r.version} first seen")
        for r in Release.objects.filter(project_id=project_id, first_seen__gte=start, first_seen__lt=end)[:MARKERS]
    ]
    for change in flagstate.changes(project_id, flag_keys, since=start, limit=MARKERS):
        where = f" in {change.environment}" if change.environment else ""
        label = f"{change.flag_key} {change.action}{where}"
        markers.append(charts.Marker(change.created_at, "flag", label, f"{label} by {change.who}: {change.reason}"))
    return markers


def project_figure(redis, project: Project, range_name: str, now: dt.datetime) -> dict:
    step, buckets = charts.RANGES[range_name]
    start = charts.range_start(now, step, buckets)
    counts = series.project_bucket_counts(redis, project.id, start, step, buckets, now)
    begin = dt.datetime.fromtimestamp(start, tz=dt.UTC)
    return charts.spike_figure(counts, start, step, project_markers(project.id, begin, now + dt.timedelta(seconds=step)))


def cached_project_figure(redis, project: Project, range_name: str, now: dt.datetime) -> dict:
    """project_figure, kept for the minute unless a flag of the project changes first."""
    key = cache_keys.project_chart(project.id, range_name, counters.minute_of(now), cache_keys.current_chart_generation(project.id))
    figure = cache.get(key)
    if figure is None:
        figure = project_figure(redis, project, range_name, now)
        cache.set(key, figure, CHART_CACHE_SECONDS)
    return figure
