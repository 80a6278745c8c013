"""The logs page (/logs/): one project's lines, filtered by the URL (trace, level, logger,
release, environment, service, text, time, group), newest first, cursor-paged, with a live tail
(triage.logs.tail) that fetches the lines newer than the page's newest (`newer_rows`).

Also the rows other pages show: each line with the error groups that share its trace.
"""

from __future__ import annotations

from dataclasses import dataclass

from triage.logs.lines import LEVELS
from triage.logs.query import Cursor, LogFilters, group_ids_of_traces, newer_lines, search_lines
from triage.models import LogLine


@dataclass
class LogRow:
    line: LogLine
    group_ids: list[int]


@dataclass
class LogsPage:
    projects: list
    project: object
    filters: LogFilters
    params: dict[str, str]  # the filters as query parameters: links and the live tail keep them
    rows: list[LogRow]
    next_cursor: str
    newest: str  # the cursor of the newest line shown: the live tail asks for lines after it
    live: bool  # the first page of an open-ended query: new lines belong at its top
    levels: tuple[str, ...] = LEVELS


def log_rows(project_id: int, lines: list[LogLine]) -> list[LogRow]:
    """The lines with the groups of their traces (one query)."""
    groups = group_ids_of_traces(project_id, [line.trace_id for line in lines])
    return [LogRow(line, groups.get(line.trace_id, [])) for line in lines]


def logs_page(projects: list, project, filters: LogFilters, cursor: Cursor | None) -> LogsPage:
    lines, next_cursor = search_lines(project.id, filters, cursor)
    return LogsPage(
        projects=projects, project=project, filters=filters, params=filters.to_params(),
        rows=log_rows(project.id, lines), next_cursor=next_cursor.encode() if next_cursor else "",
        newest=Cursor.of(lines[0]).encode() if lines else "", live=cursor is None and filters.until is None,
    )


def newer_rows(project_id: int, filters: LogFilters, newest: Cursor | None) -> tuple[list[LogRow], str]:
    """The live tail's fetch: lines after `newest` (or the latest, for an empty page), newest
    first, and the cursor to ask from next time."""
    if newest is None:
        lines, _ = search_lines(project_id, filters)
    else:
        lines = newer_lines(project_id, filters, newest)
    since = Cursor.of(lines[0]).encode() if lines else (newest.encode() if newest else "")
    return log_rows(project_id, lines), since
