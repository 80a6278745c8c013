"""The flag errors page (/flag-errors/): per flag and value (a cohort), over the last hour in one
environment, the users the flag served the value to, how many of them an error hit (any error),
and the groups; with the flag's owner and recent changes. (The flags app's own pages, under
/projects/<id>/flags/, manage the flags.)

Both sides of the rate are distinct users over the same minutes: the exposed from the OFREP
endpoint's HyperLogLogs (flags.exposures), the affected from the errors' users who were among
them (triage.attribution.evidence.targeting_key), so a rate never passes 100 %. Errors are counted
as events, whole numbers, from the window's newest MAX_EVENTS events.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from triage import flagstate
from triage.attribution.evidence import targeting_key
from triage.models import ErrorEvent, ErrorGroup, ProjectFlag

WINDOW = dt.timedelta(hours=1)
MAX_EVENTS = 50_000
TOP_GROUPS = 5
RECENT_CHANGES = 5


@dataclass
class Cohort:
    value: str
    events: int  # errors carrying the value in the window
    affected: int  # distinct users those errors hit (among the exposed, when exposures exist)
    exposed: int | None  # distinct users the flag served the value to; None: no exposures

    @property
    def rate(self) -> float | None:
        return self.affected / self.exposed if self.exposed else None


@dataclass
class GroupLine:
    group: ErrorGroup
    events: int
    values: list[str]


@dataclass
class FlagErrorsRow:
    key: str
    flag: object | None  # flags.models.Flag; None for a key only seen on events
    error_events: int  # all time, over the project's events
    cohorts: list[Cohort] = field(default_factory=list)
    groups: list[GroupLine] = field(default_factory=list)
    changes: list = field(default_factory=list)  # FlagChange rows

    @property
    def enabled_environments(self) -> list[str]:
        return flagstate.enabled_environments(self.flag) if self.flag else []


@dataclass
class FlagErrorsPage:
    projects: list
    project: object | None  # projects.models.Project; None when the user has none
    environment: str
    rows: list[FlagErrorsRow]


def flag_errors_page(redis, projects: list, project, environment: str, now: dt.datetime) -> FlagErrorsPage:
    rows = flag_error_rows(redis, project.id, environment, now) if project else []
    return FlagErrorsPage(projects, project, environment, rows)


def flag_error_evidence(redis, project_id: int, key: str, environment: str, now: dt.datetime) -> FlagErrorsRow:
    """One flag's row of this page: what an approval request shows as the flag's error evidence
    (triage.flagstate hands it to the flags app)."""
    row = FlagErrorsRow(key, flagstate.flags_by_key([project_id], [key]).get((project_id, key)),
                        ProjectFlag.objects.filter(project_id=project_id, key=key).values_list("count", flat=True).first() or 0)
    window = _window_events(project_id, environment, now - WINDOW)
    row.cohorts = _cohorts(redis, project_id, environment, row, window, now)
    row.groups = _groups(key, window)
    return row


def flag_error_rows(redis, project_id: int, environment: str, now: dt.datetime) -> list[FlagErrorsRow]:
    flags = flagstate.flags_by_key([project_id])
    seen: dict[str, int] = defaultdict(int)
    for key, count in ProjectFlag.objects.filter(project_id=project_id).values_list("key", "count"):
        seen[key] += count
    keys = sorted({k for _, k in flags} | set(seen), key=lambda k: (-seen.get(k, 0), k))
    by_key = {k: FlagErrorsRow(k, flags.get((project_id, k)), seen.get(k, 0)) for k in keys}
    window = _window_events(project_id, environment, now - WINDOW)
    for change in flagstate.changes(project_id, keys, limit=200):
        if len(by_key[change.flag_key].changes) < RECENT_CHANGES:
            by_key[change.flag_key].changes.append(change)
    for row in by_key.values():
        row.cohorts = _cohorts(redis, project_id, environment, row, window, now)
        row.groups = _groups(row.key, window)
    return list(by_key.values())


@dataclass
class _Window:
    all_users: set[str]  # every user an error hit in the window
    users: dict[tuple[str, str], set[str]]
    events: Counter
    groups: dict[str, Counter]  # key → Counter of (group id, value)
    group_objects: dict[int, ErrorGroup]


def _window_events(project_id: int, environment: str, start: dt.datetime) -> _Window:
    """The window's errors read once for every flag: one query for the events, one for their groups."""
    rows = (ErrorEvent.objects.filter(project_id=project_id, environment=environment, received_at__gte=start)
            .order_by("-received_at").values_list("user_key", "flags", "group_id")[:MAX_EVENTS])
    users: dict[tuple[str, str], set[str]] = defaultdict(set)
    events: Counter = Counter()
    groups: dict[str, Counter] = defaultdict(Counter)
    for user_key, flags, group_id in rows:
        if not isinstance(flags, dict):
            continue
        for key, value in flags.items():
            events[(key, value)] += 1
            groups[key][(group_id, value)] += 1
            if user_key:
                users[(key, value)].add(targeting_key(user_key))
    ids = {g for counter in groups.values() for g, _ in counter}
    everyone = {u for found in users.values() for u in found}
    return _Window(everyone, users, events, groups, ErrorGroup.objects.in_bulk(ids))


def _cohorts(redis, project_id: int, environment: str, row: FlagErrorsRow, window: _Window, now: dt.datetime) -> list[Cohort]:
    start = now - WINDOW
    cohorts: dict[str, Cohort] = {}
    if row.flag is not None:
        variants = {v: flagstate.value_text(raw) for v, raw in (row.flag.variants or {}).items()}
        asked = [(row.key, v) for v in variants]
        counted = flagstate.exposed_users(redis, project_id, environment, asked, window.all_users, start, now) if asked else {}
        for (_, variant), (exposed, affected) in counted.items():
            value = variants[variant]
            if exposed or window.users.get((row.key, value)):
                cohorts[value] = Cohort(value, window.events.get((row.key, value), 0), affected, exposed)
    for (key, value), count in window.events.items():
        if key == row.key and value not in cohorts:
            cohorts[value] = Cohort(value, count, len(window.users.get((key, value), ())), None)
    return sorted(cohorts.values(), key=lambda c: c.value)


def _groups(key: str, window: _Window) -> list[GroupLine]:
    """The groups with most errors carrying the flag, each once with the values it was seen with."""
    per_group: dict[int, Counter] = defaultdict(Counter)
    for (group_id, value), count in window.groups.get(key, Counter()).items():
        per_group[group_id][value] += count
    busiest = sorted(per_group, key=lambda g: (-sum(per_group[g].values()), g))[:TOP_GROUPS]
    return [GroupLine(window.group_objects[g], sum(per_group[g].values()), sorted(per_group[g]))
            for g in busiest if g in window.group_objects]
