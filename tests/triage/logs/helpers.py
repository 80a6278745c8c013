"""Log lines for tests: made and stored the way the digest stores them (triage.logs.store)."""

from __future__ import annotations

import datetime as dt
import itertools

from triage.logs import store
from triage.models import LogLine

_positions = itertools.count()


def make_line(project, **fields) -> LogLine:
    values = {"timestamp": dt.datetime.now(dt.UTC), "level": "info", "message": "hello", "stream_id": "1-0",
              "position": next(_positions), "attributes": {}}
    values.update(fields)
    return LogLine(project_id=project.id, **values)


def store_lines(lines: list[LogLine]) -> list[LogLine]:
    """Inserts the lines (partitions made first, as the digest does); returns them with their ids."""
    store.ensure_partitions(lines)
    store.insert_lines(lines)
    keys = {(line.stream_id, line.position) for line in lines}
    stored = [line for line in LogLine.objects.filter(stream_id__in={k[0] for k in keys}) if (line.stream_id, line.position) in keys]
    return sorted(stored, key=lambda line: (line.timestamp, line.id))
