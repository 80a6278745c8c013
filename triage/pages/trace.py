"""A trace's page (/projects/<id>/traces/<trace_id>/): every event of the trace, whatever its group,
and the trace's log lines, in the order they happened.

A trace id comes from the event's `contexts.trace.trace_id`; sentry-sdk gives every event of one
request (or, without tracing, of one process scope) the same one, so the page shows what else went
wrong around an error. Ordered by the SDK's timestamps, not by arrival: events and logs of one
trace come from the same clock, batched and sent at different moments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from triage.logs.query import logs_for_trace
from triage.models import ErrorEvent

MAX_EVENTS = 500


class LogLine(Protocol):
    """What the page shows of a log line: triage.models.LogLine, or a plain record like it."""

    timestamp: dt.datetime
    level: str
    message: str
    logger: str


@dataclass(frozen=True)
class TraceItem:
    at: dt.datetime
    event: ErrorEvent | None = None
    log: LogLine | None = None

    @property
    def kind(self) -> str:
        return "event" if self.event is not None else "log"


@dataclass
class TracePage:
    project: object
    trace_id: str
    items: list[TraceItem]
    events: int
    groups: int
    logs: int
    truncated: bool  # more than MAX_EVENTS events: the first of them are shown


def trace_page(project, trace_id: str) -> TracePage:
    found = list(
        ErrorEvent.objects.filter(project=project, trace_id=trace_id)
        .select_related("group", "release").defer("payload").order_by("timestamp", "id")[: MAX_EVENTS + 1]
    )
    events, truncated = found[:MAX_EVENTS], len(found) > MAX_EVENTS
    logs = trace_logs(project.id, trace_id)
    return TracePage(
        project=project, trace_id=trace_id, items=merge_timeline(events, logs), events=len(events),
        groups=len({e.group_id for e in events}), logs=len(logs), truncated=truncated,
    )


def trace_logs(project_id: int, trace_id: str) -> list[LogLine]:
    """The trace's log lines, oldest first (triage.logs.query, capped as the events are)."""
    return logs_for_trace(project_id, trace_id)


def merge_timeline(events: Iterable[ErrorEvent], logs: Iterable[LogLine]) -> list[TraceItem]:
    """Events and log lines in one list by time; at the same instant an event before the line."""
    items = [TraceItem(e.timestamp, event=e) for e in events] + [TraceItem(line.timestamp, log=line) for line in logs]
    return sorted(items, key=lambda item: (item.at, item.kind != "event"))
