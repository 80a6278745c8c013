"""Digest for the logs stream: `log` envelope items (and the logs endpoint's lines) → LogLine rows.

One bad line never takes its neighbours with it: text is cleaned first (normalize.clean, as for
events: PostgreSQL refuses NUL), and when a batch still fails to write, its lines are written one
at a time; a line that fails alone is dead-lettered by itself (its message's fields, with a
payload of just that line), so it can be inspected and replayed, never lost silently. An error
that says the database is away is raised instead: the consumer holds the batch and retries it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import traceback
from dataclasses import dataclass

from django.db import transaction

from triage import jsonutil, stream
from triage.logs import store, tail
from triage.logs.lines import line_fields
from triage.models import LogLine
from triage.stream import IngestMessage, UndeliverableMessage, faults, message_ref
from triage.stream.outage import is_infrastructure_error

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PreparedLogs:
    message_id: bytes
    project_id: int
    entries: list[LogLine]
    message: IngestMessage
    items: tuple  # the items as sent, by position: what a failed line's dead letter carries


def prepare_logs(message_id: bytes, message: IngestMessage, partition: int = 0) -> PreparedLogs:
    """The lines of one message, each keyed by the message's id qualified with its partition
    (triage.stream.message_ref): two partitions' streams may hand out the same id, and a line is
    unique per stream id and position."""
    try:
        payload = jsonutil.loads(message.payload)
    except (ValueError, UnicodeDecodeError):
        raise UndeliverableMessage("log payload is not valid JSON") from None
    items = payload.get("items") if isinstance(payload, dict) else None
    if not isinstance(items, list):
        raise UndeliverableMessage("log payload has no items list")
    received = dt.datetime.fromtimestamp(message.received_at, tz=dt.UTC)
    entries = [
        _entry(message.project_id, message_ref(message_id, partition), position, item, received)
        for position, item in enumerate(items)
        if isinstance(item, dict)
    ]
    return PreparedLogs(message_id, message.project_id, entries, message, tuple(items))


def _entry(project_id, stream_id, position, item, received) -> LogLine:
    return LogLine(project_id=project_id, stream_id=stream_id, position=position, **line_fields(item, received))


def write_logs(redis, stream_name: str, batch: list[PreparedLogs]) -> None:
    """Writes a batch of log messages, line by line if need be; then acknowledges the messages
    and dead-letters the lines that failed alone, all or nothing (one MULTI): a crash before it
    redelivers the batch, which inserts nothing twice (unique per stream id and position)."""
    rows = [e for p in batch for e in p.entries]
    try:
        store.ensure_partitions(rows)
        with transaction.atomic():
            store.insert_lines(rows)
        failed = []
    except Exception as exc:
        if is_infrastructure_error(exc):
            raise
        log.warning("batch of %d log lines failed; writing them one by one", len(rows), exc_info=True)
        failed = write_line_by_line(rows)
    by_id = {message_ref(p.message_id, stream.partition_of(stream_name)): p for p in batch}
    dead = [_dead_line(by_id[entry.stream_id], entry.position, reason) for entry, reason in failed]
    faults.point("after-commit")
    stream.acknowledge(redis, stream_name, [p.message_id for p in batch], time.time(), dead_letters=dead,
                       payload_bytes=sum(len(p.message.payload) for p in batch))
    tail.announce(redis, {p.project_id for p in batch if p.entries})


def write_line_by_line(rows: list[LogLine]) -> list[tuple[LogLine, str]]:
    """Inserts each line in its own transaction; returns the lines that failed, with why."""
    failed = []
    for row in rows:
        try:
            with transaction.atomic():
                store.insert_lines([row])
        except Exception as exc:
            if is_infrastructure_error(exc):
                raise
            failed.append((row, "".join(traceback.format_exception_only(type(exc), exc)).strip()))
    return failed


def _dead_line(prepared: PreparedLogs, position: int, reason: str) -> dict:
    """A dead letter of one log line: its message's fields, with only that line as the payload."""
    log.error("dead-lettering log line %d of %s: %s", position, prepared.message_id, reason)
    # ensure_ascii escapes a lone surrogate, so the line survives as the JSON the SDK sent.
    payload = json.dumps({"items": [prepared.items[position]]}).encode()
    m = prepared.message
    line = IngestMessage(m.project_id, m.event_id, m.received_at, payload, m.version)
    fields = {k.encode(): v if isinstance(v, bytes) else str(v).encode() for k, v in line.to_fields().items()}
    return stream.dead_letter_entry(fields, prepared.message_id, f"log line {position}: {reason}", time.time())
