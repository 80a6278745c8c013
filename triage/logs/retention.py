"""Log retention: each project keeps its lines for `log_retention_days` and within
`log_retention_mb` (the site defaults when empty), enforced by a periodic task (prune_logs).

Whole days go, oldest first. A day whose every project is past its budget is dropped as a
partition (DROP TABLE: instant, no dead rows); a day some project still keeps loses only the
other projects' lines, by DELETE. Size is the lines' text and attributes as LogVolume counted
them (triage.logs.store), in whole days: a project over its budget loses its oldest days until
the days it keeps fit, so it may sit up to one day's volume under it.

On SQLite (no partitions) every day goes by DELETE.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import transaction

from projects.models import Project
from triage import partitions
from triage.logs.schema import DAYS_AHEAD, TABLE
from triage.models import LogLine, LogVolume

log = logging.getLogger(__name__)


@dataclass
class Pruned:
    dropped_days: list[dt.date] = field(default_factory=list)  # partitions dropped whole
    deleted_lines: int = 0  # lines deleted from days other projects keep (every line on SQLite)


def keep_from(volumes: list[tuple[dt.date, int]], today: dt.date, days: int, max_bytes: int) -> dt.date:
    """The first day a project keeps: no older than `days` days, and no more newest-first days
    than fit in `max_bytes`. `volumes` are (day, bytes), in any order."""
    first = today - dt.timedelta(days=days - 1)
    total = 0
    for day, size in sorted(volumes, reverse=True):
        total += size
        if total > max_bytes:
            return max(first, day + dt.timedelta(days=1))
    return first


def project_cutoffs(today: dt.date, default_days: int, default_mb: int) -> dict[int, dt.date]:
    """Project id → the first day it keeps; projects with lines and no row (deleted) keep none."""
    budgets = {pid: (days or default_days, (mb or default_mb) * 1024 * 1024)
               for pid, days, mb in Project.objects.values_list("id", "log_retention_days", "log_retention_mb")}
    volumes: dict[int, list[tuple[dt.date, int]]] = {}
    for project_id, day, size in LogVolume.objects.values_list("project_id", "day", "bytes"):
        volumes.setdefault(project_id, []).append((day, size))
    far = today + dt.timedelta(days=3650)
    return {pid: keep_from(volumes.get(pid, []), today, *budgets[pid]) if pid in budgets else far
            for pid in set(budgets) | set(volumes)}


def prune_logs(now: dt.datetime, default_days: int, default_mb: int) -> Pruned:
    """Makes the next days' partitions, then drops or thins the days past each project's budget."""
    today = now.astimezone(dt.UTC).date()
    partitions.ensure_ahead(TABLE, today, DAYS_AHEAD)
    cutoffs = project_cutoffs(today, default_days, default_mb)
    by_day: dict[dt.date, set[int]] = {}
    for project_id, day in LogVolume.objects.values_list("project_id", "day"):
        by_day.setdefault(day, set()).add(project_id)
    oldest_kept = min(cutoffs.values(), default=today - dt.timedelta(days=default_days - 1))
    days = set(by_day) | {d for d in partitions.days(TABLE) if d < min(oldest_kept, today)}
    result = Pruned()
    for day in sorted(days):
        expired = {pid for pid in by_day.get(day, ()) if day < cutoffs.get(pid, today)}
        if expired == by_day.get(day, set()) and partitions.partitioned() and day < today:
            if partitions.drop_day(TABLE, day):  # else busy: the next run drops it, rather than DELETE it all now
                LogVolume.objects.filter(day=day).delete()
                result.dropped_days.append(day)
        else:
            for project_id in sorted(expired):
                result.deleted_lines += delete_day(project_id, day)
    if result.dropped_days or result.deleted_lines:
        log.info("log retention: dropped %d days, deleted %d lines", len(result.dropped_days), result.deleted_lines)
    return result


def delete_day(project_id: int, day: dt.date) -> int:
    """Deletes a project's lines of one day and its volume of that day, together."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    with transaction.atomic():
        deleted, _ = LogLine.objects.filter(project_id=project_id, timestamp__gte=start,
                                            timestamp__lt=start + dt.timedelta(days=1)).delete()
        LogVolume.objects.filter(project_id=project_id, day=day).delete()
    return deleted
