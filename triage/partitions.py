"""Daily range partitions of a table, on PostgreSQL; nothing to do on SQLite.

A table made with `PARTITION BY RANGE (<column>)` (PostgreSQL's declarative partitioning,
https://www.postgresql.org/docs/current/ddl-partitioning.html) gets one partition per UTC day,
named `<table>_pYYYYMMDD`. Partitions are created a few days ahead by a periodic task and on
demand by the writer for a day it has not seen (ensure_days), and retention drops a whole day
with DROP TABLE: no row-by-row DELETE, no bloat, no vacuum debt.

Applied to log lines (triage.logs) and error events (triage.event_partitions). An existing
plain table moves over with `convert_table`, its rows copied into the day partitions they belong to.
On SQLite the same table is a plain one: every function here answers as if nothing needed doing,
and retention deletes rows instead (see triage.logs.retention).
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from django.db import connection, transaction
from django.db.utils import DatabaseError, OperationalError

log = logging.getLogger(__name__)

_SUFFIX = re.compile(r"_p(\d{8})$")
# Creating and dropping a partition hold the parent table's exclusive lock for an instant, but
# waiting for it behind a long query would queue every reader and writer of the table behind the
# DDL: it waits this long at most. The periodic task tries again on its next run; a writer's batch
# fails and is retried (triage.stream.outage).
DDL_LOCK_TIMEOUT_MS = 2_000
LOCK_NOT_AVAILABLE = "55P03"


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


def convert_table(schema_editor, model, column: str, days=()) -> int:
    """Turns `model`'s existing plain table into a table partitioned by day on `column`, with
    every row and a partition for each of `days` besides (PostgreSQL; nothing to do elsewhere).
    Returns the rows moved.

    One transaction (the migration's): the old table is renamed and stripped of its indexes
    (their names go to the new table, and a copy without them is faster), the new table made with
    partitions for every day the rows cover, the rows copied with their ids, the id sequence
    moved past them, the new indexes built and the old table dropped. A writer waits on the
    rename's lock meanwhile, then writes to the new table (PostgreSQL looks a name up again once
    it holds the lock); were it to fail instead, the stream redelivers its batch."""
    if schema_editor.connection.vendor != "postgresql":
        return 0
    table, quote = model._meta.db_table, schema_editor.quote_name
    with schema_editor.connection.cursor() as cursor:
        old = _set_aside(cursor, quote, table)
        create_partitioned_table(schema_editor, model, column)
        cursor.execute(f"SELECT DISTINCT ({quote(column)} AT TIME ZONE 'UTC')::date FROM {quote(old)}")
        for day in sorted({row[0] for row in cursor.fetchall()} | set(days)):
            _create(table, day, schema_editor.connection)
        moved = _move_rows(cursor, quote, model, old)
        for statement in schema_editor._model_indexes_sql(model):  # on the parent: every partition gets them
            cursor.execute(str(statement))
    return moved


def revert_table(schema_editor, model) -> int:
    """The reverse of convert_table: a plain table again, every row in it (PostgreSQL)."""
    if schema_editor.connection.vendor != "postgresql":
        return 0
    table, quote = model._meta.db_table, schema_editor.quote_name
    with schema_editor.connection.cursor() as cursor:
        old = _set_aside(cursor, quote, table)
        schema_editor.create_model(model)
        return _move_rows(cursor, quote, model, old)


def _set_aside(cursor, quote, table: str) -> str:
    """Renames the table to <table>_old and drops its indexes but the primary key, renamed too."""
    old = f"{table}_old"
    cursor.execute(f"ALTER TABLE {quote(table)} RENAME TO {quote(old)}")
    cursor.execute(
        "SELECT i.relname, c.conname, x.indisprimary FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid "
        "WHERE x.indrelid = %s::regclass", [old])
    for index, constraint, primary in cursor.fetchall():
        if primary:
            cursor.execute(f"ALTER TABLE {quote(old)} RENAME CONSTRAINT {quote(constraint)} TO {quote(old + '_pkey')}")
        elif constraint:
            cursor.execute(f"ALTER TABLE {quote(old)} DROP CONSTRAINT {quote(constraint)}")
        else:
            cursor.execute(f"DROP INDEX {quote(index)}")
    return old


def _move_rows(cursor, quote, model, old: str) -> int:
    """Copies every row of `old` into the model's table, ids kept, moves the id sequence past
    them and drops `old`; returns the rows copied."""
    table, pk = model._meta.db_table, model._meta.pk.column
    columns = ", ".join(quote(f.column) for f in model._meta.local_concrete_fields)
    cursor.execute(f"INSERT INTO {quote(table)} ({columns}) SELECT {columns} FROM {quote(old)}")
    moved = cursor.rowcount
    cursor.execute(f"SELECT setval(pg_get_serial_sequence(%s, %s), COALESCE(MAX({quote(pk)}), 0) + 1, false) "
                   f"FROM {quote(table)}", [table, pk])
    cursor.execute(f"DROP TABLE {quote(old)}")
    return moved


def values_in_day(table: str, day: dt.date, column: str) -> set:
    """The distinct values of `column` in one day's partition, by a walk over an index that
    starts with it (one probe per value, not a scan of the day: PostgreSQL before 18 has no skip
    scan, so a recursive query does it, https://wiki.postgresql.org/wiki/Loose_indexscan)."""
    name, key = partition_name(table, day), column
    with connection.cursor() as cursor:
        cursor.execute(
            f'WITH RECURSIVE v AS (SELECT MIN({key}) AS x FROM "{name}" UNION ALL '
            f'SELECT (SELECT MIN({key}) FROM "{name}" WHERE {key} > v.x) FROM v WHERE v.x IS NOT NULL) '
            "SELECT x FROM v WHERE x IS NOT NULL"
        )
        return {row[0] for row in cursor.fetchall()}


def ensure_days(table: str, days) -> list[dt.date]:
    """Makes sure `days` have partitions; returns the days it made. One catalog lookup a call, not
    an answer remembered per process: retention, a migration or an operator may drop a partition
    this process saw, and a remembered "it exists" would fail every insert into it until it expired.
    Safe to race: another process creating the same partition first is not an error."""
    if not partitioned():
        return []
    wanted = {partition_name(table, day): day for day in sorted(set(days))}
    if not wanted:
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relname = ANY(%s) AND relkind = 'r'", [list(wanted)])
        present = {name for (name,) in cursor.fetchall()}
    return [day for name, day in wanted.items() if name not in present and _create(table, day)]


def ensure_ahead(table: str, today: dt.date, days_ahead: int) -> list[dt.date]:
    """Partitions for today and the next `days_ahead` days, so writes never wait on DDL. A table
    too busy to lock is left for the next run: the days ahead leave time for several."""
    try:
        return ensure_days(table, [today + dt.timedelta(days=n) for n in range(days_ahead + 1)])
    except OperationalError as exc:
        if not busy(exc):
            raise
        log.warning("%s busy: partitions ahead left for the next run", table)
        return []


def busy(exc: OperationalError) -> bool:
    """Whether DDL gave up waiting for its lock (DDL_LOCK_TIMEOUT_MS)."""
    return getattr(exc.__cause__, "sqlstate", None) == LOCK_NOT_AVAILABLE


def _create(table: str, day: dt.date, using=None) -> bool:
    """Creates one day's partition. With `using` (a migration's connection, which holds the
    table's lock itself), without a lock timeout: SET LOCAL would outlast this statement there."""
    name = partition_name(table, day)
    start, end = day.isoformat(), (day + dt.timedelta(days=1)).isoformat()
    try:
        with transaction.atomic(using=(using or connection).alias), (using or connection).cursor() as cursor:
            if using is None:
                cursor.execute(f"SET LOCAL lock_timeout = {int(DDL_LOCK_TIMEOUT_MS)}")
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
    """Drops one day's partition and every row in it; False on SQLite, or when the table was too
    busy to take its lock within DDL_LOCK_TIMEOUT_MS (the partition is then left as it was)."""
    if not partitioned():
        return False
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = {int(DDL_LOCK_TIMEOUT_MS)}")
            cursor.execute(f'DROP TABLE IF EXISTS "{partition_name(table, day)}"')
    except OperationalError as exc:
        if not busy(exc):
            raise
        log.warning("partition %s busy: left for the next run", partition_name(table, day))
        return False
    log.info("dropped partition %s", partition_name(table, day))
    return True


def drop_before(table: str, cutoff: dt.date) -> list[dt.date]:
    """Drops every day's partition before `cutoff`; returns the days dropped."""
    return [day for day in days(table) if day < cutoff and drop_day(table, day)]


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
