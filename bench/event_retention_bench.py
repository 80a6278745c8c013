"""Event retention on PostgreSQL: the same old events removed by dropping their day partitions,
then by DELETE, which is what a day costs while some project still keeps it (triage.retention).

    .venv/bin/python bench/event_retention_bench.py --database-url postgres://postgres@127.0.0.1:5432/switchyard_bench
    .venv/bin/python bench/event_retention_bench.py --events 200000     # a quicker look

Drops and re-creates that database. Each round fills 8 days with --events events of a busy
project (2 KB payloads, written server-side by generate_series into the day partitions), gives
it a budget of the newest 2 days' worth, and runs prune_events as beat would. Round "drop": no
other project, so the 6 expired days go as partitions. Round "delete": a quiet project with one
event a day and a budget that keeps them all holds every day, so the busy project's expired
events go by DELETE, in the chunks retention uses. Prints the time of each and the dead rows left.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DAYS = 8


def fill(project_id: int, group_id: int, events: int, now: dt.datetime, per_day_payload: int = 2000) -> None:
    from django.db import connection

    from triage import event_partitions

    event_partitions.ensure_for(now - dt.timedelta(days=n) for n in range(DAYS + 1))  # the last reaches back a day more
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO triage_errorevent (project_id, group_id, event_id, stream_id, timestamp, received_at, environment,"
            " level, title, user_key, trace_id, flags, call_path_hash, fingerprint, payload) "
            "SELECT %s, %s, md5(%s || '-' || i), '', t, t, 'production', 'error', 'Bench', '', '', '{}', '', '', "
            "repeat('x', %s) FROM (SELECT i, %s - (i %% %s) * interval '1 day' - (i %% 86399) * interval '1 second' AS t "
            "FROM generate_series(1, %s) AS i) AS s",
            [project_id, group_id, str(project_id), per_day_payload, now, DAYS, events])


def dead_rows() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")  # this backend's counts, now (PostgreSQL 15+)
        cursor.execute("SELECT COALESCE(SUM(n_dead_tup), 0) FROM pg_stat_user_tables WHERE relname LIKE 'triage_errorevent_p%%'")
        return int(cursor.fetchone()[0])


def round_(name: str, events: int, quiet: bool) -> None:
    from django.db import connection
    from django.utils import timezone

    from projects.members import create_project
    from triage import event_partitions, partitions
    from triage.models import ErrorEvent, ErrorGroup
    from triage.retention import prune_events

    now = timezone.now()
    busy = create_project(f"busy-{name}")
    busy.retention_events = events * 2 // DAYS
    busy.save()
    group = ErrorGroup.objects.create(project=busy, fingerprint=name, algorithm="bench", title="Bench", first_seen=now, last_seen=now)
    fill(busy.id, group.id, events, now)
    if quiet:
        keeper = create_project(f"quiet-{name}")
        keeper.retention_events = 1_000
        keeper.save()
        quiet_group = ErrorGroup.objects.create(project=keeper, fingerprint=name, algorithm="bench", title="Quiet",
                                                first_seen=now, last_seen=now)
        fill(keeper.id, quiet_group.id, DAYS, now)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE triage_errorevent")
    before = ErrorEvent.objects.filter(project=busy).count()
    started = time.perf_counter()
    removed = prune_events(default_budget=100_000)
    took = time.perf_counter() - started
    kept = ErrorEvent.objects.filter(project=busy).count()
    print(f"{name:>6}: {before:,} events, {before - kept:,} removed in {took:.2f} s "
          f"({(before - kept) / took:,.0f} events/s), {removed:,} reported; dead rows left: {dead_rows():,}")
    for day in partitions.days(event_partitions.TABLE):  # the next round starts from fresh partitions
        partitions.drop_day(event_partitions.TABLE, day)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/switchyard_bench")
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    name, admin = args.database_url.rsplit("/", 1)[1], args.database_url.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True)
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True)
    os.environ.update(DATABASE_URL=args.database_url, SECRET_KEY="bench", DJANGO_SETTINGS_MODULE="config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(f"PostgreSQL, {args.events:,} events over {DAYS} days, a budget of the newest 2 days' worth")
    round_("drop", args.events, quiet=False)
    round_("delete", args.events, quiet=True)


if __name__ == "__main__":
    main()
