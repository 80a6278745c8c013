"""The group list (/groups/, the home page): what the URL asks for (filters, window, sort, page),
one page of groups, and each row's sparkline, spike score and most associated flags.

Everything the list shows is in the query string, so a view can be shared by copying its URL.
Sorting by spike score mixes Redis and the database: the few groups that score
(triage.attribution.spikes) come first in score order, then every other match by last seen. A
page costs the same handful of queries whatever the sort or the size of the database.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Prefetch, QuerySet

from triage import cache_keys
from triage.attribution import spikes, suspects
from triage.attribution.evidence import latest_attributions
from triage.attribution.spikes import Spike
from triage.attribution.suspects import FlagShare
from triage.grouping import counters, series
from triage.models import ErrorGroup, GroupEnvironment, GroupFlag, GroupStatus, ProjectFlag, Release
from triage.pages import charts
from triage.pages.project_chart import RANGES as PROJECT_CHART_RANGES
from triage.queries import GroupFilters, filter_groups

PER_PAGE = 25
# Far past any real list, and its offset far inside PostgreSQL's bigint (a 20-digit page was a 500).
MAX_PAGE = 1_000_000
OPTIONS_CACHE_SECONDS = 60
WINDOWS = {"1h": 3600, "24h": 86400, "7d": 7 * 86400, "14d": 14 * 86400, "30d": 30 * 86400, "all": None}
# name: (label, order_by); spike has no column of its own
SORTS = {
    "spike": ("Spike score", None),
    "events": ("Events", "-event_count"),
    "users": ("Users affected", "-users_affected"),
    "first_seen": ("First seen", "-first_seen"),
    "last_seen": ("Last seen", "-last_seen"),
}
STATUSES = [("unresolved", "Unresolved"), ("resolved", "Resolved"), ("ignored", "Ignored"), ("all", "Any status")]
DEFAULTS = {"status": GroupStatus.UNRESOLVED.value, "window": "24h", "sort": "spike"}


@dataclass(frozen=True)
class ListQuery:
    filters: GroupFilters = field(default_factory=GroupFilters)
    status: str = DEFAULTS["status"]  # a GroupStatus value, or "all"
    window: str = DEFAULTS["window"]
    sort: str = DEFAULTS["sort"]
    page: int = 1
    raw: tuple[tuple[str, str], ...] = ()  # the filter parameters as given, for links

    @classmethod
    def from_params(cls, params, username: str) -> ListQuery:
        """Raises ValueError with a message for the user on a malformed parameter."""
        status = params.get("status", DEFAULTS["status"]) or "all"
        if status != "all" and status not in GroupStatus.values:
            raise ValueError(f"status must be all or one of {', '.join(GroupStatus.values)}")
        window = params.get("window", DEFAULTS["window"])
        sort = params.get("sort", DEFAULTS["sort"])
        if window not in WINDOWS or sort not in SORTS:
            raise ValueError(f"window must be one of {', '.join(WINDOWS)}; sort one of {', '.join(SORTS)}")
        page = params.get("page", "1")
        number = int(page) if page.isascii() and page.isdigit() and len(page) <= len(str(MAX_PAGE)) else 0
        if not 1 <= number <= MAX_PAGE:
            raise ValueError(f"page must be a number from 1 to {MAX_PAGE}")
        filters = GroupFilters.from_params({k: v for k, v in params.items() if k != "status"})
        if filters.assignee == "me":
            filters = replace(filters, assignee=username)
        filters = replace(filters, terms=filters.terms.for_user(username))
        _check_usernames(filters.terms.usernames)
        names = ("project", "query", "environment", "release", "flag", "assignee")
        raw = tuple((k, params[k]) for k in names if params.get(k))
        # An is: term in the search decides the status; the status menu steps aside (shown disabled).
        filters = replace(filters, status="" if status == "all" or filters.terms.statuses else status)
        return cls(filters, status, window, sort, number, raw)

    @property
    def status_in_search(self) -> bool:
        return bool(self.filters.terms.statuses)

    def since(self, now: dt.datetime) -> dt.datetime | None:
        seconds = WINDOWS[self.window]
        return None if seconds is None else now - dt.timedelta(seconds=seconds)

    def for_now(self, now: dt.datetime) -> GroupFilters:
        return replace(self.filters, seen_since=self.since(now))

    def url(self, **changes) -> str:
        """The query string of this view with some parameters changed (None removes one)."""
        params = dict(self.raw)
        for name in ("status", "window", "sort"):
            if getattr(self, name) != DEFAULTS[name]:
                params[name] = getattr(self, name)
        if self.page != 1:
            params["page"] = str(self.page)
        if any(k != "page" for k in changes):
            params.pop("page", None)  # a new filter or sort starts at page 1
        for name, value in changes.items():
            if value is None or value == DEFAULTS.get(name):
                params.pop(name, None)
            else:
                params[name] = str(value)
        return "?" + urlencode(params) if params else "?"

    @property
    def current(self) -> dict[str, str]:
        """The parameters as given, for the filter form's selected options."""
        return {**dict(self.raw), "status": self.status, "window": self.window, "sort": self.sort}

    @property
    def is_filtered(self) -> bool:
        return bool(self.raw) or self.status != DEFAULTS["status"] or self.window != DEFAULTS["window"]


def _check_usernames(names: set[str]) -> None:
    """assigned:<username> for nobody by that name is a typo: say so rather than list nothing."""
    if names:
        known = set(get_user_model().objects.filter(username__in=names).values_list("username", flat=True))
        for name in sorted(names - known):
            raise ValueError(f"“assigned:{name}”: there is no user named {name}.")


@dataclass
class GroupPage:
    groups: list[ErrorGroup]
    number: int
    total: int
    query: ListQuery
    per_page: int = PER_PAGE

    @property
    def previous_url(self) -> str:
        return self.query.url(page=self.number - 1)

    @property
    def next_url(self) -> str:
        return self.query.url(page=self.number + 1)

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.number > 1


@dataclass
class GroupListPage:
    query: ListQuery
    page: GroupPage | None
    rows: list[GroupRow]
    sorts: list
    windows: list
    options: dict
    error: str = ""  # a search or filter the list cannot read: shown instead of the rows
    search_text: str = ""  # the search as typed, kept in the box even when it is wrong
    chart_project_id: int | None = None  # whose error chart heads the list (triage.pages.project_chart)
    chart_ranges: tuple[str, ...] = PROJECT_CHART_RANGES


def group_list_page(
    groups: QuerySet, projects: QuerySet, query: ListQuery, redis, now: dt.datetime, spikes_by_group: dict[int, Spike]
) -> GroupListPage:
    """The page for `query` over `groups` (already limited to the user's `projects`)."""
    page = page_of_groups(groups, query, now, spikes_by_group)
    return GroupListPage(
        query=query, page=page, rows=group_rows(redis, page.groups, query.window, now, spikes_by_group),
        sorts=sort_links(query), windows=window_links(query), options=filter_options(projects, query.filters.project_id),
        search_text=dict(query.raw).get("query", ""), chart_project_id=chart_project_id(projects, query.filters.project_id),
    )


def chart_project_id(projects: QuerySet, selected: int | None) -> int | None:
    """The project whose chart heads the list: the one selected, or the user's only one."""
    if selected:
        return selected if projects.filter(id=selected).exists() else None
    only = list(projects.values_list("id", flat=True)[:2])
    return only[0] if len(only) == 1 else None


def unreadable_list_page(projects: QuerySet, params, username: str, error: str) -> GroupListPage:
    """The list when its search (or another parameter) cannot be read: the filter bar with the
    search as typed, and the error where the rows would be."""
    try:
        query = ListQuery.from_params({k: v for k, v in params.items() if k != "query"}, username)
    except ValueError:
        query = ListQuery()
    return GroupListPage(
        query=query, page=None, rows=[], sorts=sort_links(query), windows=window_links(query),
        options=filter_options(projects, query.filters.project_id), error=error, search_text=params.get("query", ""),
    )


def page_of_groups(groups: QuerySet, query: ListQuery, now: dt.datetime, spikes_by_group: dict[int, Spike]) -> GroupPage:
    """One page of the user's groups (`groups` is already limited to their projects)."""
    matching = filter_groups(groups, query.for_now(now))
    total = matching.count()
    offset = (query.page - 1) * PER_PAGE
    if query.sort == "spike":
        ids = _spike_page_ids(matching, spikes_by_group, offset)
    else:
        ids = list(matching.order_by(SORTS[query.sort][1], "-id").values_list("id", flat=True)[offset : offset + PER_PAGE])
    rows = {g.id: g for g in _for_rows(ErrorGroup.objects.filter(id__in=ids))} if ids else {}
    return GroupPage([rows[i] for i in ids if i in rows], query.page, total, query)


def _for_rows(groups: QuerySet) -> QuerySet:
    """What a row shows: project, first release, assignee and flag counts (two queries)."""
    flags = Prefetch("flag_counts", queryset=GroupFlag.objects.order_by("-count"))
    return groups.select_related("project", "first_release", "assignee").prefetch_related(flags)


def _spike_page_ids(matching: QuerySet, spikes_by_group: dict[int, Spike], offset: int) -> list[int]:
    scores = {g: s.score for g, s in spikes_by_group.items() if s.spiking}
    ranked = sorted(scores, key=lambda g: (-scores[g], -g))[: spikes.MAX_RANKED]
    allowed = set(matching.filter(id__in=ranked).values_list("id", flat=True)) if ranked else set()
    spiking = [g for g in ranked if g in allowed]
    ids = spiking[offset : offset + PER_PAGE]
    wanted = PER_PAGE - len(ids)
    if wanted:
        start = max(0, offset - len(spiking))
        rest = matching.exclude(id__in=spiking).order_by("-last_seen", "-id").values_list("id", flat=True)
        ids += list(rest[start : start + wanted])
    return ids


def sort_links(query: ListQuery) -> list[tuple[str, str, str, bool]]:
    """(name, label, query string, active) per sort order."""
    return [(name, label, query.url(sort=name), name == query.sort) for name, (label, _) in SORTS.items()]


def window_links(query: ListQuery) -> list[tuple[str, str, bool]]:
    return [(name, query.url(window=name), name == query.window) for name in WINDOWS]


def filter_options(projects: QuerySet, project_id: int | None) -> dict[str, list]:
    """The choices of the filter bar, from the selected project or all the user's projects.

    One query when cached, six when not: the distinct environments alone scan every group's
    breakdown rows (tens of ms at 10k groups), and new choices can wait a minute.
    """
    visible = list(projects.values_list("id", "name"))
    key = cache_keys.filter_options(project_id, [p for p, _ in visible])
    options = cache.get(key)
    if options is None:
        options = _filter_options(projects, project_id)
        cache.set(key, options, OPTIONS_CACHE_SECONDS)
    return {**options, "projects": visible, "statuses": STATUSES}


def _filter_options(projects: QuerySet, project_id: int | None) -> dict[str, list]:
    scope = projects.filter(id=project_id) if project_id else projects
    environments = GroupEnvironment.objects.filter(group__project__in=scope).values_list("environment", flat=True)
    releases = Release.objects.filter(project__in=scope).order_by("-first_seen").values_list("version", flat=True)
    flags = ProjectFlag.objects.filter(project__in=scope).order_by("key", "value").values_list("key", "value")
    users = get_user_model().objects.filter(projects__in=scope).order_by("username").values_list("username", flat=True)
    return {
        "environments": sorted(set(environments.distinct())),
        "releases": list(dict.fromkeys(releases[:60])),
        "flags": list(dict.fromkeys(f"{k}:{v}" for k, v in flags[:300])),
        "assignees": list(dict.fromkeys(users)),
    }


# window → (bucket seconds, buckets) for the list's sparklines
SPARKLINES = {"1h": (60, 60), "24h": (3600, 24), "7d": (6 * 3600, 28), "14d": (12 * 3600, 28), "30d": (86400, 30), "all": (86400, 30)}
ROW_FLAGS = 3


@dataclass
class GroupRow:
    group: ErrorGroup
    counts: list[int]  # events per sparkline bucket over the window (or the group's life, if shorter)
    sparkline: str  # the counts as SVG points
    window_count: int
    spike: Spike
    flags: list[FlagShare] = field(default_factory=list)
    span: str = ""  # what the sparkline spans: the window's name, or "12 min" for a young group

    @property
    def spiking(self) -> bool:
        return self.spike.spiking

    @property
    def score(self) -> float:
        return self.spike.score


def group_rows(redis, groups: Sequence[ErrorGroup], window: str, now: dt.datetime, spikes_by_group: dict[int, Spike]) -> list[GroupRow]:
    """The list's rows: sparkline over the window (a young group's over its life: charts.life_window),
    spike state and the group's commonest flag values, suspects first. Suspects come from the
    attributions the watch (or a group page) computed last: the list reads them, never computes one."""
    step, buckets = SPARKLINES[window]
    windows = {g.id: charts.life_window(g.first_seen, now, step, buckets) for g in groups}
    counts_by_group = {}
    # One read per distinct step (a handful at most), over the longest span any group needs at it.
    for life_step in sorted({s for s, _ in windows.values()}):
        ids = [g for g, (s, _) in windows.items() if s == life_step]
        most = max(windows[g][1] for g in ids)
        start = charts.range_start(now, life_step, most)
        stored = _stored_buckets(ids, start, life_step, most, now)
        for group_id, counts in series.bucket_counts(redis, ids, start, life_step, most, now, db=stored).items():
            counts_by_group[group_id] = counts[most - windows[group_id][1]:]
    attributions = latest_attributions(list(windows))
    rows = []
    for g in groups:
        counts = counts_by_group.get(g.id, [])
        found = attributions.get(g.id)
        shares = suspects.group_flag_shares(g, found.suspicions if found else [])
        life_step, life_buckets = windows[g.id]
        span = window if (life_step, life_buckets) == (step, buckets) else charts.span_label(life_step * life_buckets)
        rows.append(GroupRow(g, counts, charts.sparkline_points(counts), sum(counts), spikes_by_group.get(g.id, spikes.QUIET),
                             shares[:ROW_FLAGS], span))
    return rows


def _stored_buckets(group_ids: list[int], start: int, step: int, buckets: int, now: dt.datetime) -> dict:
    """The database part of the sparklines, kept a minute per group: summing a busy group's minute
    rows over 30 days takes tens of ms, and the live part comes fresh from Redis anyway."""
    keys = {cache_keys.sparkline(g, start, step, buckets, counters.minute_of(now)): g for g in group_ids}
    per_group = {keys[key]: counts for key, counts in cache.get_many(list(keys)).items()}
    missing = [g for g in group_ids if g not in per_group]
    if missing:
        fresh: dict[int, dict[int, int]] = {g: {} for g in missing}
        for (group_id, index), count in series.db_buckets(missing, start, step, buckets).items():
            fresh[group_id][index] = count
        cache.set_many({key: fresh[g] for key, g in keys.items() if g in fresh}, 90)
        per_group.update(fresh)
    return {(g, index): count for g, counts in per_group.items() for index, count in counts.items()}
