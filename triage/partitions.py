"""Daily range partitions of a table, on PostgreSQL; nothing to do on SQLite.

A table made with `PARTITION BY RANGE (<column>)` (PostgreSQL's declarative partitioning,
https://www.postgresql.org/docs/current/ddl-partitioning.html) gets one partition per UTC day,
named `<table>_pYYYYMMDD`. Partitions are created a few days ahead by a periodic task and on
demand by the writer for a day it has not seen (ensure_days), and retention drops a whole day
with DROP TABLE: no row-by-row DELETE, no bloat, no vacuum debt.

Applied to log lines (triage.logs); written for any table, so events can follow (issue 13).
On SQLite the same table is a plain one: every function here answers as if nothing needed doing,
and retention deletes rows instead (see triage.logs.retention).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time

from django.db import connection, transaction
from django.db.utils import DatabaseError

log = logging.getLogger(__name__)

_SUFFIX = re.compile(r"_p(\d{8})$")
_known: dict[tuple[str, dt.date], float] = {}  # partition → when this process made or saw it
MEMO_SECONDS = 600.0  # after which the writer checks again (retention may have dropped it)


def partitioned() -> bool:
    """Whether this database partitions (PostgreSQL); SQLite keeps plain tables."""
    return connection.vendor == "postgresql"


def partition_name(table: str, day: dt.date) -> str:
    return f"{table}_p{day:%Y%m%d}"


def create_partitioned_table(schema_editor, model, column: str) -> None:
    """Creates `model`'s table, partitioned by day on `column` on PostgreSQL, plain elsewhere.

    PostgreSQL requires every unique constraint, the primary key included, to contain the
    partition key, so the primary key becomes (id, column); `id` stays unique by its sequence."""
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.create_model(model)
        return
    sql, params = schema_editor.table_sql(model)
    if "UNIQUE" in sql or not sql.endswith(")"):
        raise ValueError(f"{model._meta.db_table}: a partitioned table's unique constraints must name {column}")
    pk, key = schema_editor.quote_name(model._meta.pk.column), schema_editor.quote_name(column)
    sql = sql.replace(" PRIMARY KEY", "", 1)[:-1] + f", PRIMARY KEY ({pk}, {key})) PARTITION BY RANGE ({key})"
    schema_editor.execute(sql, params or None)


def ensure_days(table: str, days) -> list[dt.date]:
    """Makes sure `days` have partitions; returns the days it checked with the database (the
    others it made or saw within MEMO_SECONDS). Safe to race: another process creating the same
    partition first is not an error."""
    if not partitioned():
        return []
    created, now = [], time.monotonic()
    for day in sorted(set(days)):
        if now - _known.get((table, day), -MEMO_SECONDS) < MEMO_SECONDS:
            continue
        if _create(table, day):
            created.append(day)
        if not connection.in_atomic_block:  # remember only what is committed: a rollback undoes DDL too
            _known[(table, day)] = now
    return created


def ensure_ahead(table: str, today: dt.date, days_ahead: int) -> list[dt.date]:
    """Partitions for today and the next `days_ahead` days, so writes never wait on DDL."""
    for key in [k for k in _known if k[0] == table]:
        del _known[key]  # check again: one may have been dropped
    return ensure_days(table, [today + dt.timedelta(days=n) for n in range(days_ahead + 1)])


def _create(table: str, day: dt.date) -> bool:
    name = partition_name(table, day)
    start, end = day.isoformat(), (day + dt.timedelta(days=1)).isoformat()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f'CREATE TABLE IF NOT EXISTS "{name}" PARTITION OF "{table}" '
                f"FOR VALUES FROM ('{start} 00:00:00+00') TO ('{end} 00:00:00+00')"
            )
        return True
    except DatabaseError as exc:
        # Two workers creating the same day race past IF NOT EXISTS; the loser sees a duplicate.
        if "already exists" in str(exc) or "duplicate key" in str(exc):
            return False
        raise


def days(table: str) -> list[dt.date]:
    """The days that have a partition, oldest first ([] on SQLite)."""
    if not partitioned():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
            [table],
        )
        names = [row[0] for row in cursor.fetchall()]
    found = [_SUFFIX.search(n) for n in names]
    return sorted(dt.datetime.strptime(m.group(1), "%Y%m%d").date() for m in found if m)


def drop_day(table: str, day: dt.date) -> bool:
    """Drops one day's partition and every row in it; False when there was none."""
    if not partitioned():
        return False
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'DROP TABLE IF EXISTS "{partition_name(table, day)}"')
    _known.pop((table, day), None)
    log.info("dropped partition %s", partition_name(table, day))
    return True


def drop_before(table: str, cutoff: dt.date) -> list[dt.date]:
    """Drops every day's partition before `cutoff`; returns the days dropped."""
    dropped = [day for day in days(table) if day < cutoff]
    for day in dropped:
        drop_day(table, day)
    return dropped


def size_bytes(table: str) -> int:
    """The table's size on disk, partitions and indexes included (PostgreSQL; 0 elsewhere)."""
    if not partitioned():
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
            [table],
        )
        return int(cursor.fetchone()[0])
