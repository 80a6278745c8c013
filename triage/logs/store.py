"""Writing log lines: one multi-row INSERT per chunk that skips lines already stored and says
which it inserted, and the per-day volume counted from those alone.

Raw SQL because Django's bulk_create(ignore_conflicts=True) cannot say which rows it skipped,
and the volume (what size retention reads) must count a redelivered line once. Both
PostgreSQL and SQLite (3.35+) speak INSERT … ON CONFLICT DO NOTHING RETURNING.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import orjson
from django.db import connection

from triage import partitions
from triage.logs.schema import TABLE
from triage.models import LogLine

COLUMNS = ("project_id", "timestamp", "level", "message", "template", "logger", "trace_id", "span_id",
           "release", "environment", "service", "attributes", "stream_id", "position")
CHUNK = 500  # rows per INSERT on SQLite: 7,000 parameters, well under its 32,766 (PostgreSQL: all in one)
OVERHEAD_BYTES = 60  # a row's columns besides its text, counted in its volume


def line_bytes(line: LogLine) -> int:
    """What a line counts toward its project's size budget: its text and attributes."""
    return len(line.message.encode()) + len(line.template.encode()) + len(_json(line.attributes)) + OVERHEAD_BYTES


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
    inserted, chunk = [], CHUNK if not partitions.partitioned() else len(lines)
    for start in range(0, len(lines), chunk):
        inserted += _insert_chunk(lines[start : start + chunk])
    add_volume(inserted)
    return inserted


def _insert_chunk(lines: list[LogLine]) -> list[LogLine]:
    if partitions.partitioned():
        sql, params = _postgres_insert(lines)
    else:
        sql, params = _sqlite_insert(lines)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        stored = {(stream_id, position) for stream_id, position in cursor.fetchall()}
    return [line for line in lines if (line.stream_id, line.position) in stored]


# PostgreSQL: the rows are COPYed into a temporary table (ON COMMIT DELETE ROWS: empty again
# for the next transaction), then moved with one INSERT … SELECT that skips what is stored.
# Rows of VALUES cost psycopg more time splitting the query text than PostgreSQL took to insert,
# and arrays per column more time dumping the lists (measured with bench/logs_bench.py).
STAGING = "logline_incoming"


def _postgres_insert(lines: list[LogLine]) -> tuple[str, list]:
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {STAGING} ON COMMIT DELETE ROWS AS "
                       f"SELECT {', '.join(COLUMNS)} FROM {TABLE} WITH NO DATA")
        cursor.execute(f"DELETE FROM {STAGING}")  # empty unless an earlier insert of this transaction left rows
        with cursor.cursor.copy(f"COPY {STAGING} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for line in lines:
                copy.write_row(_values(line))
    columns = ", ".join(COLUMNS)
    return (f"INSERT INTO {TABLE} ({columns}) SELECT {columns} FROM {STAGING} "
            "ON CONFLICT (stream_id, position, timestamp) DO NOTHING RETURNING stream_id, position"), []


def _sqlite_insert(lines: list[LogLine]) -> tuple[str, list]:
    placeholders = "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"
    sql = (f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES {', '.join([placeholders] * len(lines))} "
           "ON CONFLICT (stream_id, position) DO NOTHING RETURNING stream_id, position")
    prep = LogLine._meta.get_field("timestamp").get_db_prep_value  # SQLite stores naive UTC text
    params = []
    for line in lines:
        values = _values(line)
        values[1] = prep(line.timestamp, connection)
        params += values
    return sql, params


def _values(line: LogLine) -> list:
    return [line.project_id, line.timestamp, line.level, line.message, line.template, line.logger, line.trace_id,
            line.span_id, line.release, line.environment, line.service, _json(line.attributes),
            line.stream_id, line.position]


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


def _json(value) -> str:
    return orjson.dumps(value).decode()  # ~5x the standard library's speed; the digest cleaned the values


def delete_project_lines(project_id: int) -> int:
    """Deletes every line of a project in one statement (a project being deleted)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE project_id = %s", [project_id])
        return cursor.rowcount
