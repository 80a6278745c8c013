"""Bulk fake data for the page benchmark (bench/pages_bench.py), on the database and Redis that
DATABASE_URL and REDIS_URL name:

    python bench/generate_data.py --groups 10000 --events 1000000

Builds one project ("bench", member `--user`) with releases over `--days` days, groups whose sizes
follow a long tail, their events (small realistic payloads), and every breakdown the pages read:
GroupRelease, GroupEnvironment, GroupFlag, ProjectFlag, GroupMinuteCount, plus the last two hours
of hot counters in Redis, with a few groups spiking right now. The rows are consistent with each
other (a group's event_count is the number of its events, and so on), so every page shows
coherent numbers.

Speed: on PostgreSQL the big tables are loaded with COPY (1M events in about a minute and a half
on a laptop-class machine); other databases get batched bulk_create, fine for test-sized data.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import json
import os
import random
import sys
import uuid
from collections import Counter
from pathlib import Path

if __name__ == "__main__":  # a script: find the project and its settings
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from config.redis_clients import redis_client  # noqa: E402
from projects.members import create_project  # noqa: E402
from projects.models import Project  # noqa: E402
from triage import event_partitions  # noqa: E402
from triage.fingerprint import ALGORITHM  # noqa: E402
from triage.grouping import counters  # noqa: E402
from triage.models import (  # noqa: E402
    ErrorEvent,
    ErrorGroup,
    GroupEnvironment,
    GroupFlag,
    GroupMinuteCount,
    GroupRelease,
    GroupTagValue,
    ProjectFlag,
    Release,
)

MODULES = ["shop.cart", "shop.checkout", "shop.payments", "shop.search", "shop.reports", "shop.accounts", "shop.inventory"]
ERRORS = ["ValueError", "KeyError", "TypeError", "TimeoutError", "ZeroDivisionError", "PermissionError", "LookupError"]
ENVIRONMENTS = [("production", 0.85), ("staging", 0.15)]
SPIKING = 5
BATCH = 5_000


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Generates a large fake dataset (groups, events, counts) for the page benchmark.")
    parser.add_argument("--groups", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--releases", type=int, default=20)
    parser.add_argument("--project", default="bench")
    parser.add_argument("--user", default="bench", help="made a member of the project (created if missing)")
    parser.add_argument("--password", default="bench-password")
    parser.add_argument("--seed", type=int, default=7)
    generate(**vars(parser.parse_args(argv)))


def generate(groups=10_000, events=1_000_000, days=14, releases=20, project="bench", user="bench",
             password="bench-password", seed=7, say=print) -> Project:
    rng = random.Random(seed)
    now = timezone.now().replace(microsecond=0)
    member = _user(user, password)
    target = create_project(project, members=[member])
    made = _releases(target, releases, days, now)
    rows = _groups(target, groups, events, days, now, made, member, rng)
    say(f"{len(rows)} groups in project {target.slug} (id {target.id}); writing {events} events…")
    aggregates = _write_events(target, rows, made, now, rng)
    _write_aggregates(target, aggregates)
    _heat_redis(rows, aggregates["minutes"], now)
    say(f"done: log in as {member.get_username()} / {password}")
    return target


def _user(username: str, password: str):
    users = get_user_model()
    existing = users.objects.filter(username=username).first()
    return existing or users.objects.create_user(username, f"{username}@example.com", password, is_staff=False)


def _releases(project: Project, count: int, days: int, now: dt.datetime) -> list[Release]:
    start = now - dt.timedelta(days=days)
    step = dt.timedelta(days=days) / count
    rows = [Release(project=project, version=f"shop@1.{i}.0", first_seen=start + step * i, last_seen=now) for i in range(count)]
    return Release.objects.bulk_create(rows)


def _groups(project, count: int, events: int, days: int, now, releases, member, rng) -> list[ErrorGroup]:
    """Long-tailed sizes that sum to `events`; the first SPIKING groups are busy right now."""
    weights = [1 / (i + 1) ** 0.9 for i in range(count)]
    scale = events / sum(weights)
    sizes = [max(1, int(w * scale)) for w in weights]
    sizes[0] += events - sum(sizes)  # exact total
    span = days * 86400
    groups = []
    for i, size in enumerate(sizes):
        module, error = MODULES[i % len(MODULES)], ERRORS[i % len(ERRORS)]
        first = now - dt.timedelta(seconds=rng.randint(3600, span))
        last = now if i < SPIKING else min(now, first + dt.timedelta(seconds=rng.randint(60, span)))
        status = "unresolved" if i < SPIKING or rng.random() < 0.75 else rng.choice(["resolved", "ignored"])
        groups.append(ErrorGroup(
            project=project, fingerprint=uuid.UUID(int=rng.getrandbits(128)).hex, algorithm=ALGORITHM,
            components=[{"name": "exception-type", "value": error, "contributes": True, "hint": "type of the raised-last exception"},
                        {"name": "site", "value": f"{module} in handler_{i}", "contributes": True, "hint": "innermost in-app frame"}],
            title=f"{error}: generated failure number {i} in {module}", culprit=f"{module} in handler_{i}",
            status=status, substatus="new" if status == "unresolved" else "", first_seen=first, last_seen=last,
            event_count=size, users_affected=min(size, rng.randint(1, 500)),
            first_release=_release_at(releases, first), last_release=_release_at(releases, last),
            assignee=member if rng.random() < 0.1 else None,
        ))
    return ErrorGroup.objects.bulk_create(groups, batch_size=BATCH)


def _release_at(releases: list[Release], moment: dt.datetime) -> Release:
    """The newest release first seen at or before `moment` (releases are in first-seen order)."""
    index = bisect.bisect_right([r.first_seen for r in releases], moment)
    return releases[max(index - 1, 0)]


def _event_times(group: ErrorGroup, index: int, now: dt.datetime, rng) -> list[dt.datetime]:
    n = group.event_count
    if index < SPIKING:  # most of a spiking group's events in the last three minutes
        recent = n * 3 // 4
        lo, hi = group.first_seen.timestamp(), (now - dt.timedelta(minutes=5)).timestamp()
        older = [rng.uniform(lo, hi) for _ in range(n - recent)]
        newer = [now.timestamp() - rng.uniform(0, 170) for _ in range(recent)]
        return [dt.datetime.fromtimestamp(t, tz=dt.UTC) for t in sorted(older + newer)]
    lo, hi = group.first_seen.timestamp(), group.last_seen.timestamp()
    times = sorted(rng.uniform(lo, hi) for _ in range(n - 1)) + [hi]
    return [dt.datetime.fromtimestamp(t, tz=dt.UTC) for t in times]


def _flags(index: int, rng) -> dict[str, str]:
    flags = {"dark-mode": "true" if rng.random() < 0.5 else "false", "search-v2": "true" if rng.random() < 0.2 else "false"}
    flags["new-checkout"] = "true" if index % 3 == 0 or rng.random() < 0.3 else "false"  # every third group needs it on
    return flags


PAYLOAD = (
    '{{"event_id": "{event_id}", "platform": "python", "level": "error", "release": "{release}", "environment": "{env}", '
    '"exception": {{"values": [{{"type": "{error}", "value": "generated failure", "stacktrace": {{"frames": ['
    '{{"filename": "shop/views.py", "module": "shop.views", "function": "dispatch", "lineno": 12, "in_app": true}}, '
    '{{"filename": "{path}", "module": "{module}", "function": "{function}", "lineno": 42, "in_app": true, '
    '"pre_context": ["def {function}(request):", "    order = load(request)"], "context_line": "    return compute(order)", "post_context": [""]}}]}}}}]}}, '
    '"tags": {{"tenant": "acme"}}, "user": {{"id": "{user}"}}, "contexts": {{"flags": {{"values": {flags}}}}}}}'
)


def _write_events(project, groups, releases, now, rng) -> dict:
    """Writes every group's events and returns the counts the breakdown tables need."""
    agg = {"release": Counter(), "env": Counter(), "flag": Counter(), "tag": Counter(), "minutes": Counter(),
           "project_flag": Counter(), "spans": {}}
    columns = ["project_id", "group_id", "event_id", "stream_id", "timestamp", "received_at", "release_id", "environment",
               "level", "title", "user_key", "trace_id", "flags", "call_path_hash", "fingerprint", "payload"]
    first = min((g.first_seen for g in groups), default=now)
    event_partitions.ensure_for(first + dt.timedelta(days=n) for n in range((now - first).days + 2))  # the days COPY writes to
    with transaction.atomic(), _Writer(ErrorEvent, columns) as out:
        for index, group in enumerate(groups):
            module, function = group.culprit.split(" in ")
            for moment in _event_times(group, index, now, rng):
                release = _release_at(releases, moment)
                env = "production" if rng.random() < ENVIRONMENTS[0][1] else "staging"
                flags, user, event_id = _flags(index, rng), f"u-{rng.randint(1, 5000)}", uuid.uuid4().hex
                payload = PAYLOAD.format(
                    event_id=event_id, release=release.version, env=env, error=group.title.split(":")[0], module=module,
                    function=function, path=module.replace(".", "/") + ".py", user=user,
                    flags=json.dumps([{"flag": k, "result": v == "true"} for k, v in flags.items()]),
                )
                out.row([project.id, group.id, event_id, "", moment, moment, release.id, env, "error", group.title[:255],
                         f"id:{user}", "", flags, "", group.fingerprint, payload])
                _count(agg, group.id, release.id, env, flags, moment)
                for tag in (("tenant", "acme"), ("user", f"id:{user}"), ("level", "error")):  # as triage.digest.tags reads PAYLOAD
                    agg["tag"][(group.id, *tag)] += 1
    return agg


def _count(agg: dict, group_id: int, release_id: int, env: str, flags: dict, moment: dt.datetime) -> None:
    agg["release"][(group_id, release_id)] += 1
    agg["env"][(group_id, env)] += 1
    for key, value in flags.items():
        agg["flag"][(group_id, key, value)] += 1
        agg["project_flag"][(key, value)] += 1
    agg["minutes"][(group_id, counters.minute_of(moment))] += 1
    for key in ((group_id, "release", release_id), (group_id, "env", env), (group_id,)):
        span = agg["spans"].setdefault(key, [moment, moment])
        span[1] = moment


def _write_aggregates(project, agg: dict) -> None:
    spans = agg["spans"]
    with transaction.atomic():
        with _Writer(GroupRelease, ["group_id", "release_id", "count", "first_seen", "last_seen"]) as out:
            for (g, r), n in agg["release"].items():
                out.row([g, r, n, *spans[(g, "release", r)]])
        with _Writer(GroupEnvironment, ["group_id", "environment", "count", "first_seen", "last_seen"]) as out:
            for (g, e), n in agg["env"].items():
                out.row([g, e, n, *spans[(g, "env", e)]])
        with _Writer(GroupFlag, ["group_id", "key", "value", "count", "first_seen", "last_seen"]) as out:
            for (g, k, v), n in agg["flag"].items():
                out.row([g, k, v, n, *spans[(g,)]])
        with _Writer(GroupTagValue, ["group_id", "key", "value", "count", "first_seen", "last_seen"]) as out:
            for (g, k, v), n in agg["tag"].items():
                out.row([g, k, v, n, *spans[(g,)]])
        with _Writer(GroupMinuteCount, ["group_id", "minute", "count"]) as out:
            for (g, minute), n in agg["minutes"].items():
                out.row([g, dt.datetime.fromtimestamp(minute, tz=dt.UTC), n])
        now = timezone.now()
        ProjectFlag.objects.bulk_create([
            ProjectFlag(project=project, key=k, value=v, count=n, first_seen=now, last_seen=now) for (k, v), n in agg["project_flag"].items()
        ])


def _heat_redis(groups, minutes: Counter, now: dt.datetime) -> None:
    """The last two hours of counts as the worker would have left them in Redis."""
    redis, since = redis_client(), counters.minute_of(now) - 2 * 3600
    pipe = redis.pipeline(transaction=False)
    for (group_id, minute), count in minutes.items():
        if minute >= since:
            pipe.hset(counters.counts_key(minute), group_id, count)
            pipe.expire(counters.counts_key(minute), 3 * 3600)
    pipe.execute()


class _Writer:
    """Rows into a table: COPY on PostgreSQL, batched INSERTs elsewhere."""

    def __init__(self, model, columns: list[str]):
        self.model, self.columns, self.rows = model, columns, []

    def __enter__(self):
        if connection.vendor == "postgresql":
            table = connection.ops.quote_name(self.model._meta.db_table)
            self._cursor = connection.cursor()
            self._copy_block = self._cursor.cursor.copy(f"COPY {table} ({', '.join(self.columns)}) FROM STDIN")
            self._copy = self._copy_block.__enter__()
        return self

    def row(self, values: list) -> None:
        if connection.vendor == "postgresql":
            self._copy.write_row([json.dumps(v) if isinstance(v, dict | list) else v for v in values])
            return
        self.rows.append(self.model(**dict(zip(self.columns, values, strict=True))))
        if len(self.rows) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        self.model.objects.bulk_create(self.rows)
        self.rows = []

    def __exit__(self, *exc):
        if connection.vendor == "postgresql":
            self._copy_block.__exit__(*exc)
            self._cursor.close()
        elif exc[0] is None:
            self._flush()
        return False


if __name__ == "__main__":
    main()
