"""Set-based writes the worker needs: one INSERT … ON CONFLICT per table per batch.

Django's bulk_create(update_conflicts=True) can only overwrite a column with the new value; a
counter needs `count = count + excluded.count`, and first/last seen need min/max. Both SQLite
(≥ 3.24) and PostgreSQL accept the same ON CONFLICT form; only the min/max spelling differs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection


def _chunk_variables() -> int:
    """Bind variables per statement: PostgreSQL takes 65,535; SQLite 32,766 since 3.32 (999 before)."""
    if connection.vendor == "postgresql":
        return 30_000
    import sqlite3

    return 30_000 if sqlite3.sqlite_version_info >= (3, 32) else 900


def increment(
    model,
    key_fields: Sequence[str],
    rows: Iterable[dict],
    count_field: str | None = "count",
    seen_fields: tuple[str, str] | None = ("first_seen", "last_seen"),
    insert_only: Sequence[str] = (),
) -> None:
    """Adds rows' counts to existing rows (matched on key_fields) or inserts them.

    Rows with the same key must already be merged by the caller: PostgreSQL refuses to update
    one row twice in a single statement.
    """
    rows = list(rows)
    if not rows:
        return
    columns = [*key_fields, *([count_field] if count_field else []), *(seen_fields or ()), *insert_only]
    updates = []
    if count_field:
        updates.append(f"{_q(count_field)} = {_t(model)}.{_q(count_field)} + EXCLUDED.{_q(count_field)}")
    if seen_fields:
        low, high = ("LEAST", "GREATEST") if connection.vendor == "postgresql" else ("MIN", "MAX")
        first, last = seen_fields
        updates.append(f"{_q(first)} = {low}({_t(model)}.{_q(first)}, EXCLUDED.{_q(first)})")
        updates.append(f"{_q(last)} = {high}({_t(model)}.{_q(last)}, EXCLUDED.{_q(last)})")
    conflict = "DO UPDATE SET " + ", ".join(updates) if updates else "DO NOTHING"
    _insert(model, columns, key_fields, rows, conflict)


def add_counts(model, key_fields: Sequence[str], count_fields: Sequence[str], rows: Iterable[dict],
               insert_only: Sequence[str] = ()) -> None:
    """Adds each of the rows' `count_fields` to the row with the same key, or inserts the row.
    Rows with the same key must already be merged by the caller (see increment)."""
    rows = list(rows)
    if rows:
        updates = ", ".join(f"{_q(f)} = {_t(model)}.{_q(f)} + EXCLUDED.{_q(f)}" for f in count_fields)
        _insert(model, [*key_fields, *count_fields, *insert_only], key_fields, rows, f"DO UPDATE SET {updates}")


def set_any(model, key_fields: Sequence[str], flag_fields: Sequence[str], rows: Iterable[dict]) -> None:
    """Inserts the rows, or ORs their boolean `flag_fields` into the rows with the same key: a
    flag once set stays set, whatever order the rows come in."""
    rows = list(rows)
    if rows:
        updates = ", ".join(f"{_q(f)} = {_t(model)}.{_q(f)} OR EXCLUDED.{_q(f)}" for f in flag_fields)
        _insert(model, [*key_fields, *flag_fields], key_fields, rows, f"DO UPDATE SET {updates}")


def insert_rows(model, rows: list[dict], fields: Sequence[str]) -> None:
    """Plain multi-row INSERT … VALUES.

    Django 5.2's bulk_create sends PostgreSQL one array per column (INSERT … UNNEST), and
    psycopg escapes every element of a text array in Python: for 500 × 6 KB payloads that
    escaping was 70 % of the worker's time (bench/pipeline_bench.py). Scalar parameters skip it.
    """
    if rows:
        _insert(model, list(fields), None, rows, "")


def overwrite(model, key_fields: Sequence[str], value_fields: Sequence[str], rows: Iterable[dict]) -> None:
    """Inserts rows or sets value_fields on existing ones: idempotent, for roll-ups."""
    rows = list(rows)
    if not rows:
        return
    updates = ", ".join(f"{_q(f)} = EXCLUDED.{_q(f)}" for f in value_fields)
    _insert(model, [*key_fields, *value_fields], key_fields, rows, f"DO UPDATE SET {updates}")


def update_rows(model, rows: list[dict], fields: Sequence[str]) -> None:
    """Sets `fields` on many rows by primary key in one UPDATE … FROM (VALUES …) per chunk.

    Django's bulk_update builds a CASE expression per field per row; for a batch's few hundred
    groups that expression building alone cost more than the database work.
    """
    if not rows:
        return
    pk = model._meta.pk
    model_fields = [pk, *(model._meta.get_field(name) for name in fields)]
    names = [pk.attname, *(f.attname for f in model_fields[1:])]
    postgres = connection.vendor == "postgresql"
    cast = [f"::{f.db_type(connection)}" if postgres else "" for f in model_fields]
    if postgres and pk.db_type(connection) == "bigint":
        cast[0] = "::bigint"
    placeholder = "(" + ", ".join(f"%s{c}" for c in cast) + ")"
    alias = ", ".join(_q(f"v_{f.column}") for f in model_fields)
    sets = ", ".join(f"{_q(f.column)} = v.{_q(f'v_{f.column}')}" for f in model_fields[1:])
    per_chunk = max(1, _chunk_variables() // len(model_fields))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_chunk):
            chunk = rows[start : start + per_chunk]
            params = [f.get_db_prep_save(row[name], connection) for row in chunk for name, f in zip(names, model_fields, strict=True)]
            values = ", ".join([placeholder] * len(chunk))
            if postgres:
                sql = (f"UPDATE {_t(model)} SET {sets} FROM (VALUES {values}) AS v({alias}) "
                       f"WHERE {_t(model)}.{_q(pk.column)} = v.{_q(f'v_{pk.column}')}")
            else:
                # SQLite names VALUES columns column1, column2, …
                sets = ", ".join(f"{_q(f.column)} = v.column{i + 2}" for i, f in enumerate(model_fields[1:]))
                sql = (f"UPDATE {_t(model)} SET {sets} FROM (VALUES {values}) AS v "
                       f"WHERE {_t(model)}.{_q(pk.column)} = v.column1")
            cursor.execute(sql, params)


def _insert(model, columns, key_fields, rows, conflict_clause):
    fields = [model._meta.get_field(name) for name in columns]
    converters = [_converter(f) for f in fields]
    keys = ", ".join(_q(model._meta.get_field(k).column) for k in key_fields or ())
    conflict = f" ON CONFLICT ({keys}) {conflict_clause}" if key_fields else ""
    target = f"INSERT INTO {_t(model)} ({', '.join(_q(f.column) for f in fields)})"
    if connection.vendor == "postgresql" and not any(f.get_internal_type() == "TextField" for f in fields):
        # Set-based: one statement whatever the row count, one array per column. (Not for long
        # text: psycopg escapes array elements in Python, which is slow for 6 KB payloads.)
        columns_data = [[convert(row[name]) for row in rows] for name, convert in zip(columns, converters, strict=True)]
        arrays = ", ".join(f"%s::{_array_type(f)}[]" for f in fields)
        with connection.cursor() as cursor:
            cursor.execute(f"{target} SELECT * FROM unnest({arrays}){conflict}", columns_data)
        return
    # One single-row statement run with executemany: psycopg 3 pipelines it as a prepared
    # statement, sqlite3 loops in C; a huge multi-row VALUES spent its time in query parsing.
    sql = f"{target} VALUES ({', '.join(['%s'] * len(fields))}){conflict}"
    params = [[convert(row[name]) for name, convert in zip(columns, converters, strict=True)] for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _array_type(field) -> str:
    if field.get_internal_type() == "ForeignKey":
        return field.target_field.rel_db_type(connection)
    return field.db_type(connection).split("(")[0]


_PLAIN = ("CharField", "TextField", "SlugField", "IntegerField", "BigIntegerField", "PositiveIntegerField",
          "PositiveBigIntegerField", "BigAutoField", "AutoField", "BooleanField", "ForeignKey")


def _converter(field):
    """Identity for types both drivers take as they are (most columns), Django's conversion otherwise."""
    kind = field.get_internal_type()
    if kind in _PLAIN or (kind == "DateTimeField" and connection.vendor == "postgresql"):
        return lambda value: value
    return lambda value: field.get_db_prep_save(value, connection)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _t(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)
