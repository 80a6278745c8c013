"""Lookups of log lines: filtered and cursor-paged for the logs page and API, a trace's lines, a
group's, the lines around an error, and the links from lines to error groups.

Newest first, ordered by (timestamp, id) both descending; a cursor is the last line's pair, and
the next page is what sorts after it, so lines stored meanwhile never shift a page that follows
(stable under inserts). Every lookup names one project: the indexes lead with it (triage.logs.schema).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from dataclasses import asdict, dataclass

from django.db import connection, transaction
from django.db.models import BooleanField, Count, Q, QuerySet
from django.db.models.expressions import RawSQL

from triage.logs.lines import LEVELS, level_name
from triage.logs.schema import TEXT_CONFIG, TEXT_VECTOR
from triage.models import ErrorEvent, LogLine

PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
TRACE_LIMIT = 1000  # a trace's lines shown at once
GROUP_TRACES = 50  # a group's latest events whose traces make "the group's lines"
_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
_RELATIVE = re.compile(r"^(\d{1,6})([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


@dataclass(frozen=True)
class LogFilters:
    """What a logs page or API call asks for; every field optional. `since`/`until` are times."""

    trace_id: str = ""
    levels: tuple[str, ...] = ()
    logger: str = ""
    release: str = ""
    environment: str = ""
    service: str = ""
    q: str = ""
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    group_id: int | None = None

    @classmethod
    def from_params(cls, params, now: dt.datetime) -> LogFilters:
        """From query parameters; ValueError with a sentence for a bad one. `level` may list
        several (`warn,error`); `since`/`until` take ISO 8601 times or ages (`15m`, `24h`, `7d`)."""
        trace_id = params.get("trace_id", "").strip().replace("-", "").lower()
        if trace_id and not _TRACE_ID.match(trace_id):
            raise ValueError("trace_id must be 32 hexadecimal digits")
        levels = tuple(level_name(v) or "" for v in params.get("level", "").split(",") if v.strip())
        if "" in levels:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}")
        group = params.get("group", "").strip()
        if group and not group.isdigit():
            raise ValueError("group must be a group id")
        return cls(
            trace_id=trace_id, levels=levels, logger=_text(params, "logger"), release=_text(params, "release"),
            environment=_text(params, "environment"), service=_text(params, "service"), q=_text(params, "q")[:200],
            since=parse_time(params.get("since", ""), now, "since"), until=parse_time(params.get("until", ""), now, "until"),
            group_id=int(group) if group else None,
        )

    def to_params(self) -> dict[str, str]:
        """The filters as query parameters (the page's links and its live tail's fetches)."""
        values = asdict(self)
        values["level"] = ",".join(values.pop("levels"))
        values["group"] = values.pop("group_id") or ""
        for name in ("since", "until"):
            values[name] = values[name].isoformat() if values[name] else ""
        return {k: str(v) for k, v in values.items() if v}


def _text(params, name: str) -> str:
    value = params.get(name, "").strip()
    if "\x00" in value:
        raise ValueError(f"{name} may not contain NUL")
    return value[:200]


def parse_time(value: str, now: dt.datetime, name: str) -> dt.datetime | None:
    value = value.strip()
    if not value:
        return None
    match = _RELATIVE.match(value)
    if match:
        return now - dt.timedelta(**{_UNITS[match[2]]: int(match[1])})
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name} must be an ISO 8601 time or an age such as 15m, 24h, 7d") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Cursor:
    timestamp: dt.datetime
    id: int

    def encode(self) -> str:
        micros = int(self.timestamp.timestamp() * 1_000_000)
        return base64.urlsafe_b64encode(f"{micros}:{self.id}".encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """ValueError for a cursor this module did not make."""
        try:
            micros, _, line_id = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode().partition(":")
            return cls(dt.datetime.fromtimestamp(int(micros) / 1_000_000, tz=dt.UTC), int(line_id))
        except (binascii.Error, UnicodeDecodeError, ValueError, OverflowError, OSError):
            raise ValueError("cursor is not one this API gave out") from None

    @classmethod
    def of(cls, line: LogLine) -> Cursor:
        return cls(line.timestamp, line.id)


def filtered(project_id: int, filters: LogFilters) -> QuerySet:
    """The project's lines matching the filters, unordered."""
    lines = LogLine.objects.filter(project_id=project_id)
    if filters.trace_id:
        lines = lines.filter(trace_id=filters.trace_id)
    if filters.group_id is not None:
        lines = lines.filter(trace_id__in=group_trace_ids(project_id, filters.group_id))
    if filters.levels:
        lines = lines.filter(level__in=filters.levels)
    for name in ("logger", "release", "environment", "service"):
        if getattr(filters, name):
            lines = lines.filter(**{name: getattr(filters, name)})
    if filters.since:
        lines = lines.filter(timestamp__gte=filters.since)
    if filters.until:
        lines = lines.filter(timestamp__lt=filters.until)
    if filters.q:
        lines = lines.filter(text_match(filters.q))
    return lines


def text_match(q: str):
    """Lines with every word of `q`. PostgreSQL: full-text search on the GIN index (the SQL repeats
    the index's expression so the planner can use it). SQLite: plain matching, word by word."""
    if connection.vendor == "postgresql":
        return RawSQL(f"{TEXT_VECTOR} @@ plainto_tsquery('{TEXT_CONFIG}', %s)", [q], output_field=BooleanField())
    match = Q()
    for word in q.split():
        match &= Q(message__icontains=word)
    return match


def newest_first(lines: QuerySet) -> QuerySet:
    return lines.order_by("-timestamp", "-id")


def search_lines(project_id: int, filters: LogFilters, cursor: Cursor | None = None,
                 limit: int = PAGE_SIZE) -> tuple[list[LogLine], Cursor | None]:
    """A page of matching lines, newest first, and the cursor of the next page (None at the end)."""
    lines = filtered(project_id, filters)
    if cursor is not None:
        lines = before(lines, cursor)
    if filters.q and connection.vendor == "postgresql":
        page = _text_page(lines, limit + 1)
    else:
        page = list(newest_first(lines)[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return page, Cursor.of(page[-1]) if more and page else None


RARE_TEXT = 5_000  # fewer matches than this: fetched through the text index and sorted


def _text_page(lines: QuerySet, count: int) -> list[LogLine]:
    """The newest `count` lines of a text search, by whichever way is fast for this text.

    PostgreSQL cannot tell a rare word from a common one when planning (a word outside the
    statistics' most common ones gets a guessed frequency), and with ORDER BY … LIMIT it walks
    the newest lines and checks each one: quick for a common word, a scan of every line for a
    rare one (41 s at 5M lines, bench/logs_bench.py). So count the matches through the text
    index first, up to RARE_TEXT: under it, take them all through that index and sort them;
    past it, matches are dense enough that walking the newest lines finds `count` soon."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_indexscan = off")  # bitmap scans only: the GIN index, not the time order
        rare = lines.values("id")[:RARE_TEXT].count() < RARE_TEXT
        if rare:
            return list(newest_first(lines)[:count])
    return list(newest_first(lines)[:count])


def before(lines: QuerySet, cursor: Cursor) -> QuerySet:
    """Lines that sort after `cursor` newest first: older, or as old with a smaller id. Written as
    a range on the timestamp so the (project, timestamp, id) index bounds the scan."""
    return lines.filter(timestamp__lte=cursor.timestamp).exclude(timestamp=cursor.timestamp, id__gte=cursor.id)


def newer_lines(project_id: int, filters: LogFilters, newest: Cursor, limit: int = PAGE_SIZE) -> list[LogLine]:
    """Lines stored since the page's newest line was (the live tail), newest first. A line that
    arrives late with an older timestamp is found by its id, which is always newer."""
    lines = filtered(project_id, filters).filter(Q(timestamp__gt=newest.timestamp) | Q(id__gt=newest.id))
    if filters.since is None:  # bound the id test's scan: late lines are rarely more than an hour late
        lines = lines.filter(timestamp__gte=newest.timestamp - dt.timedelta(hours=1))
    return list(newest_first(lines)[:limit])


def logs_for_trace(project_id: int, trace_id: str, limit: int = TRACE_LIMIT) -> list[LogLine]:
    """A trace's log lines, oldest first (the order a trace is read in). For the group page, the
    trace page and anything else that shows a trace."""
    trace_id = trace_id.replace("-", "").lower()
    if not _TRACE_ID.match(trace_id):
        return []
    return list(LogLine.objects.filter(project_id=project_id, trace_id=trace_id).order_by("timestamp", "id")[:limit])


def group_trace_ids(project_id: int, group_id: int, events: int = GROUP_TRACES) -> list[str]:
    """The trace ids of a group's latest events."""
    traces = (ErrorEvent.objects.filter(project_id=project_id, group_id=group_id).exclude(trace_id="")
              .order_by("-received_at", "-id").values_list("trace_id", flat=True)[:events])
    return sorted({t.replace("-", "").lower() for t in traces})


def lines_around(project_id: int, at: dt.datetime, service: str, environment: str,
                 count: int = 25) -> list[LogLine]:
    """Up to `count` lines before `at` and `count` after, oldest first, from the same service (or,
    when the error names none, the same environment): what was happening when the error happened."""
    lines = LogLine.objects.filter(project_id=project_id)
    lines = lines.filter(service=service) if service else lines.filter(environment=environment)
    window = dt.timedelta(minutes=10)
    earlier = list(lines.filter(timestamp__lte=at, timestamp__gte=at - window).order_by("-timestamp", "-id")[:count])
    later = list(lines.filter(timestamp__gt=at, timestamp__lte=at + window).order_by("timestamp", "id")[:count])
    return earlier[::-1] + later


def group_ids_of_traces(project_id: int, trace_ids) -> dict[str, list[int]]:
    """trace id → the ids of the error groups with an event in that trace."""
    wanted = sorted({t for t in trace_ids if t})
    if not wanted:
        return {}
    found: dict[str, set[int]] = {}
    rows = ErrorEvent.objects.filter(project_id=project_id, trace_id__in=_spellings(wanted)).values_list("trace_id", "group_id")
    for trace_id, group_id in rows.distinct():
        found.setdefault(trace_id.replace("-", "").lower(), set()).add(group_id)
    return {t: sorted(ids) for t, ids in found.items()}


def _spellings(trace_ids: list[str]) -> list[str]:
    """A trace id as an event may carry it: 32 hex digits, or a UUID with dashes (some SDKs)."""
    dashed = [f"{t[:8]}-{t[8:12]}-{t[12:16]}-{t[16:20]}-{t[20:]}" for t in trace_ids if len(t) == 32]
    return trace_ids + dashed


def trace_log_counts(project_id: int, trace_ids) -> dict[str, int]:
    """trace id → how many log lines it has (for errors' "N logs")."""
    wanted = sorted({t.replace("-", "").lower() for t in trace_ids if t})
    if not wanted:
        return {}
    rows = (LogLine.objects.filter(project_id=project_id, trace_id__in=wanted).values("trace_id")
            .annotate(n=Count("id")).values_list("trace_id", "n"))
    return dict(rows)
