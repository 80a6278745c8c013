"""Writing log lines: one multi-row INSERT per chunk that skips lines already stored and says
which it inserted, and the per-day volume counted from those alone.

Raw SQL because Django's bulk_create(ignore_conflicts=True) cannot say which rows it skipped,
and the volume (what size retention reads) must count a redelivered line once. Both
PostgreSQL and SQLite (3.35+) speak INSERT … ON CONFLICT DO NOTHING RETURNING.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

from django.db import connection

from triage import partitions
from triage.logs.schema import TABLE
from triage.models import LogLine

COLUMNS = ("project_id", "timestamp", "level", "message", "template", "logger", "trace_id", "span_id",
           "release", "environment", "service", "attributes", "stream_id", "position")
CHUNK = 500  # rows per INSERT: 7,000 parameters, well under SQLite's 32,766 and PostgreSQL's 65,535
OVERHEAD_BYTES = 60  # a row's columns besides its text, counted in its volume


def line_bytes(line: LogLine) -> int:
    """What a line counts toward its project's size budget: its text and attributes."""
    return len(line.message.encode()) + len(line.template.encode()) + len(json.dumps(line.attributes)) + OVERHEAD_BYTES


def ensure_partitions(lines: list[LogLine]) -> None:
    """Makes the day partitions the lines need. Call before the transaction that inserts them:
    a partition made inside it would vanish with a rollback while this process thinks it exists."""
    partitions.ensure_days(TABLE, {line.timestamp.astimezone(dt.UTC).date() for line in lines})


def insert_lines(lines: list[LogLine]) -> list[LogLine]:
    """Inserts the lines not stored yet (unique per stream id and position) and returns those,
    counting them in LogVolume. Call inside a transaction: the two writes stand or fall together;
    and after ensure_partitions."""
    if not lines:
        return []
    inserted = []
    for start in range(0, len(lines), CHUNK):
        inserted += _insert_chunk(lines[start : start + CHUNK])
    add_volume(inserted)
    return inserted


def _insert_chunk(lines: list[LogLine]) -> list[LogLine]:
    placeholders = "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"
    conflict = "(stream_id, position, timestamp)" if partitions.partitioned() else "(stream_id, position)"
    sql = (f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES {', '.join([placeholders] * len(lines))} "
           f"ON CONFLICT {conflict} DO NOTHING RETURNING stream_id, position")
    prep = LogLine._meta.get_field("timestamp").get_db_prep_value  # SQLite stores naive UTC text
    params = []
    for line in lines:
        params += [line.project_id, prep(line.timestamp, connection), line.level, line.message, line.template, line.logger,
                   line.trace_id, line.span_id, line.release, line.environment, line.service,
                   json.dumps(line.attributes), line.stream_id, line.position]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        stored = {(stream_id, position) for stream_id, position in cursor.fetchall()}
    return [line for line in lines if (line.stream_id, line.position) in stored]


def add_volume(lines: list[LogLine]) -> None:
    """Adds the lines to their project's volume of their day, in one upsert."""
    counts: Counter = Counter()
    sizes: Counter = Counter()
    for line in lines:
        key = (line.project_id, line.timestamp.astimezone(dt.UTC).date())
        counts[key] += 1
        sizes[key] += line_bytes(line)
    if not counts:
        return
    keys = sorted(counts)  # one order for every worker: no deadlock between two batches' upserts
    values = ", ".join(["(%s, %s, %s, %s)"] * len(keys))
    params = [p for key in keys for p in (key[0], key[1].isoformat(), counts[key], sizes[key])]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO triage_logvolume (project_id, day, lines, bytes) VALUES {values} "
            "ON CONFLICT (project_id, day) DO UPDATE SET lines = triage_logvolume.lines + excluded.lines, "
            "bytes = triage_logvolume.bytes + excluded.bytes",
            params,
        )


def delete_project_lines(project_id: int) -> int:
    """Deletes every line of a project in one statement (a project being deleted)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE project_id = %s", [project_id])
        return cursor.rowcount
