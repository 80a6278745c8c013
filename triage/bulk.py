"""Set-based writes the worker needs: one INSERT … ON CONFLICT per table per batch.

Django's bulk_create(update_conflicts=True) can only overwrite a column with the new value; a
counter needs `count = count + excluded.count`, and first/last seen need min/max. Both SQLite
(≥ 3.24) and PostgreSQL accept the same ON CONFLICT form; only the min/max spelling differs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection

CHUNK_VARIABLES = 900  # under SQLite's oldest bind-variable limit (999)


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


def overwrite(model, key_fields: Sequence[str], value_fields: Sequence[str], rows: Iterable[dict]) -> None:
    """Inserts rows or sets value_fields on existing ones: idempotent, for roll-ups."""
    rows = list(rows)
    if not rows:
        return
    updates = ", ".join(f"{_q(f)} = EXCLUDED.{_q(f)}" for f in value_fields)
    _insert(model, [*key_fields, *value_fields], key_fields, rows, f"DO UPDATE SET {updates}")


def _insert(model, columns, key_fields, rows, conflict_clause):
    fields = [model._meta.get_field(name) for name in columns]
    db_columns = [f.column for f in fields]
    per_chunk = max(1, CHUNK_VARIABLES // len(columns))
    placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    keys = ", ".join(_q(model._meta.get_field(k).column) for k in key_fields)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_chunk):
            chunk = rows[start : start + per_chunk]
            params = [f.get_db_prep_save(row[name], connection) for row in chunk for name, f in zip(columns, fields, strict=True)]
            sql = (
                f"INSERT INTO {_t(model)} ({', '.join(_q(c) for c in db_columns)}) "
                f"VALUES {', '.join([placeholder] * len(chunk))} ON CONFLICT ({keys}) {conflict_clause}"
            )
            cursor.execute(sql, params)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _t(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)
