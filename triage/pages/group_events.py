"""A group's events (/groups/<id>/events/), newest first, a page at a time by cursor, with the group
list's filters that apply to events: release, environment, time window and free text.

Cursor paging, not page numbers: new events keep arriving at the top, so "page 3" would shift
under the reader, and an OFFSET deep into a big group scans every row before it. A cursor names
the (received_at, id) of the event a page ends at; the next page starts past it, walking the
(group, received_at) index. Sentry pages its events the same way
(https://docs.sentry.io/api/pagination/).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from django.db.models import Q, QuerySet

from triage.models import ErrorEvent, ErrorGroup
from triage.pages.group_list import WINDOWS

PER_PAGE = 50
DEFAULT_WINDOW = "all"
_CURSOR = re.compile(r"^(older|newer):(\d{1,17}):(\d{1,19})$")


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: past the event at (received_at, id), towards older or newer events."""

    direction: str  # "older" or "newer"
    received_at: dt.datetime
    event_pk: int

    @classmethod
    def parse(cls, text: str) -> Cursor:
        """Raises ValueError for anything but a cursor this page made."""
        found = _CURSOR.match(text)
        if not found:
            raise ValueError("cursor must be one this page made (older:… or newer:…)")
        micros, pk = int(found[2]), int(found[3])
        try:
            moment = dt.datetime.fromtimestamp(micros / 1_000_000, tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            raise ValueError("cursor is out of range") from None
        if pk > 2**63 - 1:
            raise ValueError("cursor is out of range")
        return cls(found[1], moment, pk)

    @classmethod
    def past(cls, event: ErrorEvent, direction: str) -> Cursor:
        return cls(direction, event.received_at, event.pk)

    def __str__(self) -> str:
        micros = round(self.received_at.timestamp() * 1_000_000)
        return f"{self.direction}:{micros}:{self.event_pk}"


@dataclass(frozen=True)
class EventQuery:
    release: str = ""
    environment: str = ""
    window: str = DEFAULT_WINDOW
    search: str = ""
    cursor: Cursor | None = None

    @classmethod
    def from_params(cls, params) -> EventQuery:
        """Raises ValueError with a message for the user on a malformed parameter."""
        window = params.get("window", DEFAULT_WINDOW) or DEFAULT_WINDOW
        if window not in WINDOWS:
            raise ValueError(f"window must be one of {', '.join(WINDOWS)}")
        cursor = params.get("cursor", "")
        return cls(
            release=params.get("release", "")[:200], environment=params.get("environment", "")[:64], window=window,
            search=params.get("query", "").strip()[:200], cursor=Cursor.parse(cursor) if cursor else None,
        )

    def url(self, **changes) -> str:
        """This view's query string with some parameters changed; any change but the cursor's
        starts again at the newest events."""
        query = replace(self, cursor=None) if set(changes) - {"cursor"} else self
        params = {"query": query.search, "release": query.release, "environment": query.environment,
                  "window": "" if query.window == DEFAULT_WINDOW else query.window,
                  "cursor": str(query.cursor) if query.cursor else ""}
        params.update({k: "" if v is None else str(v) for k, v in changes.items()})
        kept = {k: v for k, v in params.items() if v}
        return "?" + urlencode(kept) if kept else "?"

    @property
    def is_filtered(self) -> bool:
        return bool(self.release or self.environment or self.search or self.window != DEFAULT_WINDOW)


def filter_events(events: QuerySet, query: EventQuery, now: dt.datetime) -> QuerySet:
    if query.release:
        events = events.filter(release__version=query.release)
    if query.environment:
        events = events.filter(environment=query.environment)
    seconds = WINDOWS[query.window]
    if seconds is not None:
        events = events.filter(received_at__gte=now - dt.timedelta(seconds=seconds))
    if query.search:
        text = query.search
        events = events.filter(
            Q(title__icontains=text) | Q(user_key__icontains=text) | Q(event_id=text.lower().replace("-", ""))
            | Q(trace_id=text)
        )
    return events


def _older(cursor: Cursor) -> Q:
    return Q(received_at__lt=cursor.received_at) | Q(received_at=cursor.received_at, pk__lt=cursor.event_pk)


def _newer(cursor: Cursor) -> Q:
    return Q(received_at__gt=cursor.received_at) | Q(received_at=cursor.received_at, pk__gt=cursor.event_pk)


@dataclass
class GroupEventsPage:
    group: ErrorGroup
    project: object
    query: EventQuery
    events: list[ErrorEvent]
    newer_url: str  # "" on the newest page
    older_url: str  # "" on the oldest page
    releases: list[str]  # the group's, for the filter bar
    environments: list[str]
    windows: list[str]


def group_events_page(group: ErrorGroup, query: EventQuery, now: dt.datetime) -> GroupEventsPage:
    """One page of the group's events matching `query`: four queries (the page, whether there is
    more on either side, the filter bar's choices)."""
    matching = filter_events(ErrorEvent.objects.filter(group=group), query, now)
    events = page_of_events(matching, query.cursor)
    newer_url = older_url = ""
    if events:
        newest, oldest = Cursor.past(events[0], "newer"), Cursor.past(events[-1], "older")
        newer_url = query.url(cursor=newest) if matching.filter(_newer(newest)).exists() else ""
        older_url = query.url(cursor=oldest) if matching.filter(_older(oldest)).exists() else ""
    elif query.cursor is not None:
        newer_url = query.url(cursor=None)  # past the end (its events were pruned): back to the newest
    return GroupEventsPage(
        group=group, project=group.project, query=query, events=events, newer_url=newer_url, older_url=older_url,
        releases=list(group.release_counts.order_by("-last_seen").values_list("release__version", flat=True)[:100]),
        environments=list(group.environment_counts.order_by("environment").values_list("environment", flat=True)[:100]),
        windows=list(WINDOWS),
    )


def page_of_events(matching: QuerySet, cursor: Cursor | None) -> list[ErrorEvent]:
    """PER_PAGE events newest first, from the cursor on (or the newest)."""
    events = matching.select_related("release").defer("payload")
    if cursor is not None and cursor.direction == "newer":
        found = list(events.filter(_newer(cursor)).order_by("received_at", "id")[:PER_PAGE])
        return found[::-1]
    if cursor is not None:
        events = events.filter(_older(cursor))
    return list(events.order_by("-received_at", "-id")[:PER_PAGE])
