"""The log table's storage: day partitions and the indexes behind each lookup.

Kept out of the model's Meta because they differ by database: PostgreSQL gets a partitioned
table, a full-text (GIN) index and partial indexes; SQLite gets a plain table and plain indexes.
The migration calls `create`; the indexes are made on the partitioned parent, so PostgreSQL
adds them to every partition, present and future.

Each index serves one lookup of triage.logs.query (measured in bench/logs_bench.py):
- newest lines of a project, and every filter that keeps most of them: (project, timestamp, id);
- a trace's lines: trace_id (partial: most lines of a service without tracing have none);
- the rare levels (warn, error, fatal), which a scan by time would have to look far back for;
- each of release, environment, logger and service, after the project and before the time: a
  value of last week's lines (an old release) was a walk back through every newer line, 3-4 s at
  5M lines; with its index, a few ms. They cost about a third of the table's size.
- text: to_tsvector('simple', message) in a GIN index. 'simple' neither stems nor drops stop
  words: log text is identifiers, codes and names more than English.
"""

from __future__ import annotations

from triage import partitions

TABLE = "triage_logline"
DAYS_AHEAD = 2  # partitions made ahead by the periodic task (triage.logs.retention)
TEXT_CONFIG = "simple"
TEXT_VECTOR = f"to_tsvector('{TEXT_CONFIG}', message)"  # the index's expression, matched verbatim by queries

FACETS = ("release", "environment", "logger", "service")
POSTGRES_INDEXES = [
    f"CREATE INDEX logline_project_time ON {TABLE} (project_id, timestamp DESC, id DESC)",
    f"CREATE INDEX logline_trace ON {TABLE} (trace_id) WHERE trace_id <> ''",
    f"CREATE INDEX logline_rare_level ON {TABLE} (project_id, level, timestamp DESC) WHERE level IN ('warn', 'error', 'fatal')",
    *(f"CREATE INDEX logline_{name} ON {TABLE} (project_id, {name}, timestamp DESC)" for name in FACETS),
    f"CREATE INDEX logline_text ON {TABLE} USING gin ({TEXT_VECTOR})",
    f"CREATE UNIQUE INDEX logline_unique_stream_position ON {TABLE} (stream_id, position, timestamp)",
]
SQLITE_INDEXES = [
    *(f"CREATE INDEX logline_{name} ON {TABLE} (project_id, {name}, timestamp DESC)" for name in FACETS),
    f"CREATE INDEX logline_project_time ON {TABLE} (project_id, timestamp DESC, id DESC)",
    f"CREATE INDEX logline_trace ON {TABLE} (trace_id)",
    f"CREATE INDEX logline_level ON {TABLE} (project_id, level, timestamp DESC)",
    f"CREATE UNIQUE INDEX logline_unique_stream_position ON {TABLE} (stream_id, position)",
]


def create(schema_editor, model) -> None:
    """Creates the table and its indexes (PostgreSQL: partitioned by day on `timestamp`)."""
    partitions.create_partitioned_table(schema_editor, model, "timestamp")
    postgres = schema_editor.connection.vendor == "postgresql"
    for statement in POSTGRES_INDEXES if postgres else SQLITE_INDEXES:
        schema_editor.execute(statement)
