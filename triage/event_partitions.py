"""The error event table's day partitions (PostgreSQL; a plain table on SQLite).

Events are partitioned by `received_at`, the time ingest accepted them: it only moves forward,
so the newest partition takes the writes and retention drops whole old days (triage.retention).
The writer makes the day it needs before its transaction (ensure_for); the periodic task makes
DAYS_AHEAD days ahead, so the writer normally finds them made.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from triage import partitions

TABLE = "triage_errorevent"
COLUMN = "received_at"
DAYS_AHEAD = 2


def ensure_for(received: Iterable[dt.datetime]) -> None:
    """Makes the partitions for these receive times. Call before the transaction that inserts:
    a partition made inside it would vanish with a rollback while this process thinks it exists."""
    partitions.ensure_days(TABLE, {t.astimezone(dt.UTC).date() for t in received})


def convert(schema_editor, model, today: dt.date) -> int:
    """The migration's step: the existing plain table becomes partitioned, with every event, and
    partitions for today and DAYS_AHEAD days, for the workers still running the previous code
    during an upgrade (they make none; without one their inserts would fail until replaced)."""
    ahead = [today + dt.timedelta(days=n) for n in range(DAYS_AHEAD + 1)]
    return partitions.convert_table(schema_editor, model, COLUMN, days=ahead)
