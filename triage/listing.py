"""The group list: what the URL asks for (filters, window, sort, page) and one page of groups.

Everything the list shows is in the query string, so a view can be shared by copying its URL.
Sorting by spike score mixes Redis and the database: the few groups that score (triage.spikes)
come first in score order, then every other match by last seen. A page costs the same handful of
queries whatever the sort or the size of the database.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from django.db.models import QuerySet

from triage.models import ErrorGroup, GroupStatus
from triage.queries import GroupFilters, filter_groups, with_breakdowns

PER_PAGE = 25
WINDOWS = {"1h": 3600, "24h": 86400, "7d": 7 * 86400, "14d": 14 * 86400, "30d": 30 * 86400, "all": None}
# name: (label, order_by); spike has no column of its own
SORTS = {
    "spike": ("Spike score", None),
    "events": ("Events", "-event_count"),
    "users": ("Users affected", "-users_affected"),
    "first_seen": ("First seen", "-first_seen"),
    "last_seen": ("Last seen", "-last_seen"),
}
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
        if not page.isdigit() or int(page) < 1:
            raise ValueError("page must be a positive number")
        filters = GroupFilters.from_params({k: v for k, v in params.items() if k != "status"})
        if filters.assignee == "me":
            filters = replace(filters, assignee=username)
        names = ("project", "query", "environment", "release", "flag", "assignee")
        raw = tuple((k, params[k]) for k in names if params.get(k))
        filters = replace(filters, status="" if status == "all" else status)
        return cls(filters, status, window, sort, int(page), raw)

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
    def is_filtered(self) -> bool:
        return bool(self.raw) or self.status != DEFAULTS["status"] or self.window != DEFAULTS["window"]


@dataclass
class GroupPage:
    groups: list[ErrorGroup]
    number: int
    total: int
    per_page: int = PER_PAGE

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def page_of_groups(groups: QuerySet, query: ListQuery, now: dt.datetime, scores: dict[int, float]) -> GroupPage:
    """One page of the user's groups (`groups` is already limited to their projects)."""
    matching = filter_groups(groups, query.for_now(now))
    total = matching.count()
    offset = (query.page - 1) * PER_PAGE
    if query.sort == "spike":
        ids = _spike_page_ids(matching, scores, offset)
    else:
        ids = list(matching.order_by(SORTS[query.sort][1], "-id").values_list("id", flat=True)[offset : offset + PER_PAGE])
    rows = {g.id: g for g in with_breakdowns(ErrorGroup.objects.filter(id__in=ids))} if ids else {}
    return GroupPage([rows[i] for i in ids if i in rows], query.page, total)


def _spike_page_ids(matching: QuerySet, scores: dict[int, float], offset: int) -> list[int]:
    ranked = sorted((g for g, s in scores.items() if s > 0), key=lambda g: (-scores[g], -g))[:500]
    allowed = set(matching.filter(id__in=ranked).values_list("id", flat=True)) if ranked else set()
    spiking = [g for g in ranked if g in allowed]
    ids = spiking[offset : offset + PER_PAGE]
    wanted = PER_PAGE - len(ids)
    if wanted:
        start = max(0, offset - len(spiking))
        rest = matching.exclude(id__in=spiking).order_by("-last_seen", "-id").values_list("id", flat=True)
        ids += list(rest[start : start + wanted])
    return ids
