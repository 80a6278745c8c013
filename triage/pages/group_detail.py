"""The group page (/groups/<id>/): the group, one of its events, its flags panel, its activity,
and the spike chart's figure (/groups/<id>/chart/, fetched by the page).

Each function takes the group and `now`, and costs a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.cache import cache

from triage import actions, cache_keys
from triage.attribution import owners
from triage.attribution.evidence import Attribution, cached_attribution
from triage.attribution.owners import Suggestion
from triage.attribution.spikes import Spike
from triage.fingerprint import ALGORITHMS, Fingerprint, fingerprint_event
from triage.grouping import counters, regroup, series
from triage.grouping.rule_changes import project_fingerprint_rules, project_stack_rules
from triage.models import (
    ErrorEvent,
    ErrorGroup,
    GroupFingerprint,
    GroupFingerprintKind,
)
from triage.pages import charts
from triage.pages.event_logs import EventLogs, event_logs, events_log_counts
from triage.pages.event_view import EventView, event_view
from triage.pages.flag_panel import flag_panel
from triage.pages.group_discussion import Discussion, discussion
from triage.pages.project_chart import project_markers
from triage.pages.tag_breakdowns import TagBreakdown, tag_breakdowns
from triage.payloads import read_payload

RECENT_EVENTS = 15
CHART_CACHE_SECONDS = 120


@dataclass
class GroupDetailPage:
    group: ErrorGroup
    project: object
    spike: Spike
    score: float
    spiking: bool
    event: ErrorEvent | None
    event_view: EventView | None
    recent_events: list[ErrorEvent]
    newer: ErrorEvent | None
    older: ErrorEvent | None
    environment: str
    flag_rows: list
    attribution: Attribution
    releases: list
    environments: list
    members: list
    activity: list
    latest_release: str | None
    chart_ranges: list[str]
    why: WhyGrouped
    suggestion: Suggestion | None = None  # the responsible developer (triage.attribution.owners)
    discussion: Discussion | None = None  # comments, linked tickets, the tracker's new-issue link
    logs: EventLogs | None = None  # the logs tab: the event's trace and its service around it
    log_counts: dict | None = None  # event id → log lines in its trace, for the shown and recent events
    tags: list[TagBreakdown] = field(default_factory=list)
    fingerprints: list[tuple[str, str, int]] = field(default_factory=list)  # what unmerge can split out


def group_detail_page(redis, group: ErrorGroup, event_id: str, now: dt.datetime, spike: Spike) -> GroupDetailPage:
    """`event_id` picks the event shown (the latest when empty or unknown); `spike` is the
    group's spike state."""
    attribution = cached_attribution(redis, group, now, spike)
    recent = list(_events(group).defer("payload")[:RECENT_EVENTS])
    event = _events(group).filter(event_id=event_id).first() if event_id else None
    if event is None and recent:
        event = _events(group).get(id=recent[0].id)
    return GroupDetailPage(
        group=group, project=group.project, spike=spike, score=spike.score, spiking=spike.spiking,
        event=event, event_view=event_view(event.payload) if event else None,
        recent_events=recent, newer=_neighbour(group, event, newer=True), older=_neighbour(group, event, newer=False),
        environment=attribution.environment, flag_rows=flag_panel(group, attribution), attribution=attribution,
        releases=list(group.release_counts.select_related("release").order_by("-count")[:10]),
        environments=list(group.environment_counts.order_by("-count")[:10]),
        members=list(group.project.members.order_by("username")),
        activity=list(group.activity.select_related("actor")[:20]),
        latest_release=actions.latest_release(group.project_id, now),
        chart_ranges=list(charts.RANGES),
        why=why_grouped(group, event),
        suggestion=owners.suggest(group, attribution.suspicions),
        discussion=discussion(group),
        logs=event_logs(event, read_payload(event.payload)) if event else None,
        log_counts=_count_logs(group.project_id, recent + ([event] if event else [])),
        tags=tag_breakdowns(group),
        fingerprints=regroup.group_fingerprints(group),
    )


def _count_logs(project_id: int, events: list[ErrorEvent]) -> dict[int, int]:
    """Event id → log lines in its trace; each event also gets it as `log_count` for the template."""
    counts = events_log_counts(project_id, events)
    for e in events:
        e.log_count = counts.get(e.id, 0)
    return counts


@dataclass
class WhyGrouped:
    """The "why grouped" panel: which algorithm's fingerprint put the shown event in the group."""

    decided_by: str
    sentence: str
    components: list  # the deciding fingerprint's components (or the group's stored ones)
    fingerprints: list[GroupFingerprint]  # the further fingerprints that find the group


def why_grouped(group: ErrorGroup, event: ErrorEvent | None) -> WhyGrouped:
    """Fingerprints the shown event again, with the current algorithm and, if that is not what
    found the group, with the group's own; one query (the group's further fingerprints)."""
    extra = list(group.extra_fingerprints.order_by("created_at")[:10])
    if event is None:
        return WhyGrouped(group.algorithm, f"{group.algorithm} made this group.", group.components, extra)
    payload = read_payload(event.payload)
    rules = project_stack_rules(group.project)
    current = fingerprint_event(payload, rules, fingerprint_rules=project_fingerprint_rules(group.project))
    attached = {f.fingerprint: f for f in extra}
    by_rule = f" The project's fingerprint rule “{current.rule}” decided it." if current.rule else ""
    for fp in [current] + ([current.raise_helper.fingerprint] if current.raise_helper else []):
        if fp.hash == group.fingerprint:
            same = "" if group.algorithm == fp.algorithm else f" ({group.algorithm} made the group with the same fingerprint)"
            return WhyGrouped(fp.algorithm, f"The event's fingerprint is the group's own{same}.{by_rule}", list(fp.components), extra)
        found = attached.get(fp.hash)
        if found is not None and found.kind == GroupFingerprintKind.RAISE_HELPER:
            sentence = "Its crash site raises for several callers, so its caller decides; that fingerprint was the group's from the start."
            return WhyGrouped(fp.algorithm, sentence, list(fp.components), extra)
        if found is not None and found.kind == GroupFingerprintKind.MERGED:
            sentence = f"Its fingerprint was merged into this group on {found.created_at:%Y-%m-%d}.{by_rule}"
            return WhyGrouped(fp.algorithm, sentence, list(fp.components), extra)
        if found is not None:
            return _decided_by_previous(group, payload, rules, fp, found, extra)
    previous = _fingerprint_with(group.algorithm, payload, rules)
    if previous is not None and previous.hash == group.fingerprint:
        sentence = f"{group.algorithm} made this group and grouped this event, before the upgrade to {current.algorithm}."
        return WhyGrouped(group.algorithm, sentence, list(previous.components), extra)
    sentence = "The event no longer fingerprints as it did (the project's stack or fingerprint rules changed); the group's components:"
    return WhyGrouped(group.algorithm, sentence, group.components, extra)


def _fingerprint_with(algorithm: str, payload: dict, rules: list[str]) -> Fingerprint | None:
    return ALGORITHMS[algorithm](payload, rules) if algorithm in ALGORITHMS else None


def _decided_by_previous(group, payload, rules, current: Fingerprint, found: GroupFingerprint, extra) -> WhyGrouped:
    previous = _fingerprint_with(group.algorithm, payload, rules)
    sentence = (
        f"{group.algorithm} made this group; during the upgrade's transition its fingerprint found the group "
        f"for this kind of event, and the event's {current.algorithm} fingerprint {current.hash[:12]} was "
        f"attached on {found.created_at:%Y-%m-%d}, so such events now find the group directly."
    )
    return WhyGrouped(group.algorithm, sentence, list(previous.components) if previous else group.components, extra)


def _events(group: ErrorGroup):
    return ErrorEvent.objects.filter(group=group).select_related("release").order_by("-received_at", "-id")


def _neighbour(group: ErrorGroup, event: ErrorEvent | None, newer: bool) -> ErrorEvent | None:
    """The next event in (received_at, id) order. Two queries that each walk the (group,
    received_at) index, where one query with an OR scans a big group's events."""
    if event is None:
        return None
    events = ErrorEvent.objects.filter(group=group).only("event_id")
    if newer:
        same = events.filter(received_at=event.received_at, id__gt=event.id).order_by("id")
        other = events.filter(received_at__gt=event.received_at).order_by("received_at", "id")
    else:
        same = events.filter(received_at=event.received_at, id__lt=event.id).order_by("-id")
        other = events.filter(received_at__lt=event.received_at).order_by("-received_at", "-id")
    found = list(same[:1]) + list(other[:1])
    return found[0] if found else None


def chart_markers(group: ErrorGroup, start: dt.datetime, end: dt.datetime) -> list[charts.Marker]:
    """Releases first seen in the range, and changes to the flags seen on the group's events."""
    keys = list(group.flag_counts.values_list("key", flat=True).distinct())
    return project_markers(group.project_id, start, end, flag_keys=keys)


def group_figure(redis, group: ErrorGroup, range_name: str, now: dt.datetime) -> dict:
    """The spike chart of one group as Plotly figure JSON."""
    step, buckets = charts.RANGES[range_name]
    start = charts.range_start(now, step, buckets)
    counts = series.bucket_counts(redis, [group.id], start, step, buckets, now)[group.id]
    begin = dt.datetime.fromtimestamp(start, tz=dt.UTC)
    return charts.spike_figure(counts, start, step, chart_markers(group, begin, now + dt.timedelta(seconds=step)))


def cached_group_figure(redis, group: ErrorGroup, range_name: str, now: dt.datetime) -> dict:
    """group_figure, kept for the minute (the chart's smallest bucket) unless a flag of the
    project changes first (chart_generation)."""
    key = cache_keys.chart(group.id, range_name, counters.minute_of(now), cache_keys.current_chart_generation(group.project_id))
    figure = cache.get(key)
    if figure is None:
        figure = group_figure(redis, group, range_name, now)
        cache.set(key, figure, CHART_CACHE_SECONDS)
    return figure
