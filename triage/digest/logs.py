"""Digest for the logs stream: `log` envelope items → LogEntry rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from triage import jsonutil
from triage.digest.normalize import parse_timestamp
from triage.models import LogEntry
from triage.stream import GROUP, UndeliverableMessage


@dataclass(frozen=True)
class PreparedLogs:
    message_id: bytes
    project_id: int
    entries: list[LogEntry]


def prepare_logs(message_id: bytes, message) -> PreparedLogs:
    try:
        payload = jsonutil.loads(message.payload)
    except (ValueError, UnicodeDecodeError):
        raise UndeliverableMessage("log payload is not valid JSON") from None
    items = payload.get("items") if isinstance(payload, dict) else None
    if not isinstance(items, list):
        raise UndeliverableMessage("log payload has no items list")
    received = dt.datetime.fromtimestamp(message.received_at, tz=dt.UTC)
    entries = [
        _entry(message.project_id, message_id.decode(), position, item, received)
        for position, item in enumerate(items)
        if isinstance(item, dict)
    ]
    return PreparedLogs(message_id, message.project_id, entries)


def _entry(project_id, stream_id, position, item, received) -> LogEntry:
    attributes = item.get("attributes") if isinstance(item.get("attributes"), dict) else {}

    def attribute(name):
        value = attributes.get(name)
        return str(value.get("value", "")) if isinstance(value, dict) else ""

    return LogEntry(
        project_id=project_id,
        stream_id=stream_id,
        position=position,
        timestamp=parse_timestamp(item.get("timestamp"), received),
        level=str(item.get("level") or "info")[:16],
        body=str(item.get("body") or "")[:10_000],
        template=attribute("sentry.message.template")[:10_000],
        trace_id=str(item.get("trace_id") or "")[:64],
        release=attribute("sentry.release")[:200],
        environment=attribute("sentry.environment")[:64],
        attributes=attributes,
    )


def write_logs(redis, stream: str, batch: list[PreparedLogs]) -> None:
    LogEntry.objects.bulk_create([e for p in batch for e in p.entries], ignore_conflicts=True)
    redis.xack(stream, GROUP, *[p.message_id for p in batch])
