"""The group page's logs tab: the shown event's trace, and what its service logged around it;
and the count of each listed event's trace lines ("N logs")."""

from __future__ import annotations

from dataclasses import dataclass

from triage.logs.query import lines_around, logs_for_trace, trace_log_counts
from triage.models import ErrorEvent
from triage.pages.logs import LogRow, log_rows

AROUND = 25  # lines shown before and after the event


@dataclass
class EventLogs:
    trace_id: str
    trace: list[LogRow]  # the event's trace's lines, oldest first
    before: list[LogRow]  # the same service's lines up to the event's time, oldest first
    after: list[LogRow]  # and after it
    service: str  # "" when the event names none: then the lines are its environment's


def event_logs(event: ErrorEvent, payload: dict) -> EventLogs:
    """`payload` is the event as sent: its `server_name` is the service its lines came from
    (sentry-sdk sends it as each log line's `server.address`)."""
    trace_id = event.trace_id.replace("-", "").lower()
    service = str(payload.get("server_name") or "")[:200]
    trace = logs_for_trace(event.project_id, trace_id) if trace_id else []
    around = lines_around(event.project_id, event.timestamp, service, event.environment, AROUND)
    rows = log_rows(event.project_id, around)
    split = sum(1 for row in rows if row.line.timestamp <= event.timestamp)
    return EventLogs(trace_id, log_rows(event.project_id, trace), rows[:split], rows[split:], service)


def events_log_counts(project_id: int, events: list[ErrorEvent]) -> dict[int, int]:
    """Event id → the number of log lines in its trace (one query)."""
    counts = trace_log_counts(project_id, [e.trace_id for e in events])
    return {e.id: counts.get(e.trace_id.replace("-", "").lower(), 0) for e in events if e.trace_id}
