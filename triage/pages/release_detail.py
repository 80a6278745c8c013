"""A release's page (/projects/<id>/releases/<version>/): what it broke, what it fixed, what went
into it and how healthy its sessions are; and its two charts' figures (/projects/<id>/release-chart/).

- **New** groups: their first event came with the release (ErrorGroup.first_release).
- **Regressed**: a resolved group came back with an event of the release (the REGRESSED activity
  the worker records names the release: triage.grouping.groups.fold_events).
- **Resolved**: resolved in it, that is resolved "in the next release" after the release before
  it, or resolved while it was the newest release; and resolved still.
- **Commits**: as registered with the releases API (triage.attribution.commits), newest first.
- **Health**: crash-free sessions and users from sentry-sdk's sessions (triage.release_health).

Events and affected users over time come from the stored events, so they reach back as far as the
project's retention keeps events (triage.retention); the group counts above them are kept for good.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDay, TruncHour

from triage.models import (
    ErrorEvent,
    ErrorGroup,
    GroupActivity,
    GroupActivityKind,
    GroupRelease,
    GroupStatus,
    Release,
)
from triage.pages import charts
from triage.release_health import NO_SESSIONS, ReleaseHealth, health_series, release_health

GROUPS_SHOWN = 50
# name: (bucket seconds, buckets). Users are distinct per bucket, so days for the longer ranges.
RANGES = {"24h": (3600, 24), "7d": (86400, 7), "30d": (86400, 30), "90d": (86400, 90)}
SESSIONS_COLOR, USERS_COLOR, CRASH_FREE_COLOR = "#7f8c8d", "#2f5bd3", "#27ae60"


@dataclass
class ReleaseDetailPage:
    project: object
    release: Release
    previous: Release | None
    following: Release | None
    events: int  # error events of the release, all groups (kept counts)
    groups: int  # groups with events in it
    new_groups: list[ErrorGroup]
    regressed_groups: list[ErrorGroup]
    resolved_groups: list[ErrorGroup]
    commits: list
    health: ReleaseHealth
    health_by_environment: list[tuple[str, ReleaseHealth]]
    chart_ranges: list[str]


def release_detail_page(release: Release) -> ReleaseDetailPage:
    previous, following = neighbours(release)
    totals = GroupRelease.objects.filter(release=release).aggregate(events=Sum("count"), groups=Count("id"))
    return ReleaseDetailPage(
        project=release.project, release=release, previous=previous, following=following,
        events=totals["events"] or 0, groups=totals["groups"],
        new_groups=list(new_groups(release)[:GROUPS_SHOWN]),
        regressed_groups=list(regressed_groups(release)[:GROUPS_SHOWN]),
        resolved_groups=list(resolved_groups(release, previous, following)[:GROUPS_SHOWN]),
        commits=list(release.commits.all()),
        health=release_health([release.id]).get(release.id, NO_SESSIONS),
        health_by_environment=health_by_environment(release),
        chart_ranges=list(RANGES),
    )


def neighbours(release: Release) -> tuple[Release | None, Release | None]:
    """The project's releases first seen just before and just after this one."""
    releases = Release.objects.filter(project_id=release.project_id).exclude(id=release.id)
    before = releases.filter(Q(first_seen__lt=release.first_seen) | Q(first_seen=release.first_seen, id__lt=release.id))
    after = releases.filter(Q(first_seen__gt=release.first_seen) | Q(first_seen=release.first_seen, id__gt=release.id))
    return before.order_by("-first_seen", "-id").first(), after.order_by("first_seen", "id").first()


def _rows(groups: QuerySet) -> QuerySet:
    return groups.select_related("assignee").order_by("-event_count", "-id")


def new_groups(release: Release) -> QuerySet:
    return _rows(ErrorGroup.objects.filter(first_release=release))


def regressed_groups(release: Release) -> QuerySet:
    regressions = GroupActivity.objects.filter(
        group__project_id=release.project_id, kind=GroupActivityKind.REGRESSED, data__release_id=release.id
    )
    return _rows(ErrorGroup.objects.filter(id__in=regressions.values("group_id")))


def resolved_groups(release: Release, previous: Release | None, following: Release | None) -> QuerySet:
    """Resolved in the release: "resolved in next release" after the one before it, or resolved
    (plainly) while it was the newest release."""
    while_newest = Q(resolved_in_release="", resolved_at__gte=release.first_seen)
    if following is not None:
        while_newest &= Q(resolved_at__lt=following.first_seen)
    in_next = Q(resolved_in_release=previous.version) if previous is not None else Q(pk__in=[])
    groups = ErrorGroup.objects.filter(project_id=release.project_id, status=GroupStatus.RESOLVED)
    return _rows(groups.filter(while_newest | in_next))


def health_by_environment(release: Release) -> list[tuple[str, ReleaseHealth]]:
    environments = release.health_minutes.values_list("environment", flat=True).distinct().order_by("environment")
    if len(environments) < 2:
        return []  # the release's own figures say it all
    return [(env, release_health([release.id], environment=env)[release.id]) for env in environments]


# --- The charts -------------------------------------------------------------------------------------


def events_figure(release: Release, range_name: str, now: dt.datetime) -> dict:
    """Error events of the release per bucket (bars) and the distinct users they hit (a line)."""
    step, buckets = RANGES[range_name]
    start = charts.range_start(now, step, buckets)
    begin = dt.datetime.fromtimestamp(start, tz=dt.UTC)
    truncate = TruncHour if step == 3600 else TruncDay
    rows = (
        ErrorEvent.objects.filter(release=release, received_at__gte=begin)
        .annotate(bucket=truncate("received_at", tzinfo=dt.UTC)).values("bucket")
        .annotate(n=Count("id"), users=Count("user_key", distinct=True, filter=~Q(user_key="")))
        .values_list("bucket", "n", "users")
    )
    events, users = [0] * buckets, [0] * buckets
    for bucket, n, people in rows:
        index = (int(bucket.timestamp()) - start) // step
        if 0 <= index < buckets:
            events[index], users[index] = n, people
    unit = _unit(step)
    return _figure(start, step, buckets, [
        _bars(start, step, events, "error events", charts.BAR_COLOR, f"%{{y}} error events in the {unit} from %{{x}}"),
        _line(start, step, users, "users affected", USERS_COLOR, f"%{{y}} users hit in the {unit} from %{{x}}"),
    ], _count_axis(max(events + users)))


def health_figure(release: Release, range_name: str, now: dt.datetime) -> dict:
    """Sessions per bucket (bars), and crash-free sessions and users in percent (lines, right axis)."""
    step, buckets = RANGES[range_name]
    start = charts.range_start(now, step, buckets)
    series = health_series(release.id, start, step, buckets)
    unit = _unit(step)
    traces = [
        _bars(start, step, series.sessions, "sessions", SESSIONS_COLOR, f"%{{y}} sessions started in the {unit} from %{{x}}"),
        {**_line(start, step, series.crash_free_sessions(), "crash-free sessions", CRASH_FREE_COLOR,
                 "%{y:.2f} % crash-free sessions<extra></extra>"), "yaxis": "y2"},
    ]
    if step == 86400:
        traces.append({**_line(start, step, series.crash_free_users(), "crash-free users", USERS_COLOR,
                               "%{y:.2f} % crash-free users<extra></extra>"), "yaxis": "y2"})
    figure = _figure(start, step, buckets, traces, _count_axis(max(series.sessions)))
    figure["layout"]["yaxis2"] = {"overlaying": "y", "side": "right", "range": [0, 100.5], "ticksuffix": " %",
                                  "fixedrange": True, "showgrid": False}
    figure["layout"]["margin"]["r"] = 48
    return figure


def _unit(step: int) -> str:
    return "hour" if step == 3600 else "day"


def _times(start: int, step: int, n: int) -> list[str]:
    return [dt.datetime.fromtimestamp(start + step * i, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") for i in range(n)]


def _bars(start: int, step: int, counts: list[int], name: str, color: str, hover: str) -> dict:
    return {"type": "bar", "x": _times(start, step, len(counts)), "y": counts, "name": html.escape(name),
            "xperiod": step * 1000, "xperiodalignment": "start", "marker": {"color": color},
            "hovertemplate": hover + "<extra></extra>"}


def _line(start: int, step: int, values: list, name: str, color: str, hover: str) -> dict:
    # Points in the middle of their bucket, over the bars they describe.
    middle = [dt.datetime.fromtimestamp(start + step * i + step // 2, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
              for i in range(len(values))]
    return {"type": "scatter", "mode": "lines+markers", "x": middle, "y": values, "name": html.escape(name),
            "line": {"color": color, "width": 2}, "marker": {"size": 4}, "connectgaps": False,
            "hovertemplate": hover if "<extra>" in hover else hover + "<extra></extra>"}


def _count_axis(top: int) -> dict:
    """Whole numbers only: a chart of a few events gets ticks 0, 1, 2, never 0.5."""
    axis = {"rangemode": "tozero", "fixedrange": True, "tickformat": ",d"}
    if top <= 5:
        axis.update(dtick=1, range=[0, max(top, 1) + 0.5])
    return axis


def _figure(start: int, step: int, buckets: int, traces: list[dict], yaxis: dict) -> dict:
    end = start + step * buckets
    return {
        "data": traces,
        "layout": {
            "margin": {"l": 40, "r": 10, "t": 12, "b": 36}, "height": 240, "bargap": 0.15,
            "showlegend": True, "legend": {"orientation": "h", "y": -0.2},
            "xaxis": {"type": "date", "range": _times(start, step, 1) + _times(end, step, 1)},
            "yaxis": yaxis, "plot_bgcolor": "#fff", "paper_bgcolor": "#fff",
        },
    }
