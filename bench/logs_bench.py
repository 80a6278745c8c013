"""Logs benchmark on PostgreSQL: lines/s accepted at the logs endpoint and digested by a real
Celery worker, then lookups on a table of --lines lines (default 5M): by trace id, by text, by
level and release, and the database's size per million lines.

    .venv/bin/python bench/logs_bench.py --database-url postgres://postgres@127.0.0.1:5432/switchyard_bench \\
        --redis-url redis://127.0.0.1:6379/9                      # drops and re-creates that database
    .venv/bin/python bench/logs_bench.py --lines 500000            # a quicker look

Phase 1 sends --pipeline-lines lines as NDJSON batches of 100 (sentry-sdk flushes 100 lines at a
time) over 16 connections to one uvicorn process, and a worker (--pool=solo, one process) digests
them. Phase 2 fills the table to --lines through the digest's own insert (triage.logs.store: the
same rows, indexes and volume upserts), spread over the last 7 days, then times the lookups the
pages and the API make (triage.logs.query), on random traces and on words that occur in about
1 line in 10,000.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import statistics
import string
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.loadgen import percentile, post_all  # noqa: E402
from bench.pipeline_bench import Sampler, start_web, start_worker  # noqa: E402
from config.processes import wait_until_serving  # noqa: E402

LINES_PER_TRACE = 20
RARE_WORDS = 200  # words that each occur in ~1 line in 10,000 (a "selective word")
TEMPLATES = [
    "GET /api/cart/{n} answered 200 in {ms} ms", "user {user} signed in from {ip}",
    "charging card ending {n} for order {order}", "payment gateway answered {code} after {ms} ms",
    "cache miss for product {n}; loading from the database", "sent confirmation email to {user}",
    "retrying request to inventory service (attempt {n})", "order {order} shipped with carrier {carrier}",
]
LEVELS = ["debug"] * 10 + ["info"] * 80 + ["warn"] * 7 + ["error"] * 3


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=5_000_000, help="lines in the table for the lookups (0: none)")
    parser.add_argument("--pipeline-lines", type=int, default=200_000, help="lines sent through HTTP and the worker")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--lookups", type=int, default=200)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/switchyard_bench"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"))
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--lookups-only", action="store_true", help="time the lookups on the database as a last run left it")
    return parser.parse_args()


def prepare(args) -> tuple[int, str, dict]:
    """A fresh database and the streams' keys gone (only them: never a FLUSHDB of a shared server)."""
    env = dict(os.environ, DATABASE_URL=args.database_url, REDIS_URL=args.redis_url, SECRET_KEY="bench",
               ALLOWED_HOSTS="127.0.0.1,localhost", DJANGO_SETTINGS_MODULE="config.settings",
               SWITCHYARD_BASE_URL=f"http://127.0.0.1:{args.port}", SWITCHYARD_STREAM_MAXLEN="1000000",
               SWITCHYARD_LOG_STREAM_MAX_BYTES=str(4 << 30))
    name, admin = args.database_url.rsplit("/", 1)[1], args.database_url.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True)
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True)
    import redis

    client = redis.Redis.from_url(args.redis_url)
    for key in client.scan_iter(match="{switchyard}*"):
        client.delete(key)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
    out = subprocess.run([*manage, "create_project", "bench"], env=env, check=True, capture_output=True, text=True).stdout
    dsn = out.strip().splitlines()[-1]
    return int(dsn.rsplit("/", 1)[1]), dsn.split("//")[1].split("@")[0], env


class Lines:
    """Realistic lines: traces of 20 lines, templated messages, a few rare words."""

    def __init__(self, seed: int = 7):
        self.random = random.Random(seed)
        self.rare = ["".join(self.random.choices(string.ascii_lowercase, k=9)) for _ in range(RARE_WORDS)]

    def message(self) -> tuple[str, str]:
        r = self.random
        template = r.choice(TEMPLATES)
        text = template.format(n=r.randrange(10**6), ms=r.randrange(2000), user=f"user{r.randrange(50_000)}@example.com",
                               ip=f"10.{r.randrange(255)}.{r.randrange(255)}.{r.randrange(255)}", order=uuid.UUID(int=r.getrandbits(128)).hex[:12],
                               code=r.choice([200, 402, 502, 504]), carrier=r.choice(["ups", "dhl", "fedex"]))
        if r.random() < RARE_WORDS / 10_000:  # so each rare word is in about 1 line in 10,000
            text += " " + r.choice(self.rare)
        return text, template

    def trace(self) -> str:
        return uuid.UUID(int=self.random.getrandbits(128)).hex


def ndjson_bodies(count: int, per_body: int = 100):
    lines = Lines()
    for _ in range(count // per_body):
        trace = lines.trace()
        body = []
        for i in range(per_body):
            message, _ = lines.message()
            body.append(json.dumps({"timestamp": time.time(), "level": lines.random.choice(LEVELS), "message": message,
                                    "logger": "shop.checkout", "trace_id": trace if i % 5 else lines.trace(),
                                    "release": "shop@1.4.0", "environment": "production", "attributes": {"i": i}}))
        yield ("\n".join(body) + "\n").encode()


def stored_lines(env) -> int:
    import psycopg

    with psycopg.connect(env["DATABASE_URL"].replace("postgres://", "postgresql://"), autocommit=True) as conn:
        return int(conn.execute("SELECT COALESCE(SUM(lines), 0) FROM triage_logvolume").fetchone()[0])


def wait_for_first_read(env) -> float:
    """When the worker's log consumer first took messages (they show as pending): its clock starts."""
    import redis

    from triage import stream

    client = redis.Redis.from_url(env["REDIS_URL"])
    while True:
        try:
            if client.xpending(stream.LOGS, stream.GROUP)["pending"]:
                return time.perf_counter()
        except redis.ResponseError:
            pass  # no group yet
        time.sleep(0.005)


def pipeline(args, project_id: int, public_key: str, env) -> None:
    bodies = list(ndjson_bodies(args.pipeline_lines))
    total = len(bodies) * 100
    web = start_web(env, args)
    worker = None
    try:
        wait_until_serving(f"http://127.0.0.1:{args.port}", alive=lambda: web.poll() is None)
        url = f"http://127.0.0.1:{args.port}/api/{project_id}/logs/"
        headers = {"Content-Type": "application/x-ndjson", "X-Sentry-Auth": f"Sentry sentry_key={public_key}"}
        result = asyncio.run(post_all(url, headers, iter(bodies), args.concurrency))
        seconds = result.finished - result.started
        print(f"accepted:   {result.statuses.get(200, 0) * 100 / seconds:,.0f} lines/s  ({dict(result.statuses)} requests of 100 "
              f"lines in {seconds:.1f} s, {args.concurrency} connections; p99 request {percentile(result.latencies, 99) * 1000:.0f} ms)",
              flush=True)
        worker = start_worker(env)  # from a full stream: the worker's own rate
        sampler = Sampler(worker.pid)
        sampler.start()
        began = wait_for_first_read(env)
        while stored_lines(env) < total:
            time.sleep(0.05)
        done = time.perf_counter()
        sampler.stopped.set()
        cpu = statistics.mean(sampler.cpu) if sampler.cpu else 0
        print(f"digested:   {total / (done - began):,.0f} lines/s  ({total:,} lines in {done - began:.1f} s by one worker "
              f"process from its first read, its default log consumers and batches; worker CPU {cpu:.0f} %)", flush=True)
    finally:
        for p in (web, worker):
            if p is not None:
                p.terminate()
                p.wait(30)


def fill(project_id: int, target: int) -> None:
    """Adds lines through triage.logs.store until the table holds `target`, over the last 7 days."""
    from django.db import transaction

    from triage.logs import store
    from triage.models import LogLine, LogVolume

    have = sum(LogVolume.objects.values_list("lines", flat=True))
    lines, now, chunk, started = Lines(seed=11), dt.datetime.now(dt.UTC), 5_000, time.perf_counter()
    span = dt.timedelta(days=7).total_seconds()
    for start in range(have, target, chunk):
        rows, trace = [], lines.trace()
        for i in range(min(chunk, target - start)):
            if i % LINES_PER_TRACE == 0:
                trace = lines.trace()
            message, template = lines.message()
            at = now - dt.timedelta(seconds=span * (1 - (start + i) / target))
            rows.append(LogLine(project_id=project_id, timestamp=at, level=lines.random.choice(LEVELS), message=message,
                                template=template, logger="shop.checkout", trace_id=trace, span_id="", release=f"shop@1.{(start + i) * 10 // target}.0",
                                environment="production", service="web-1", attributes={"n": i}, stream_id=f"fill-{start}", position=i))
        store.ensure_partitions(rows)
        with transaction.atomic():
            store.insert_lines(rows)
        if (start // chunk) % 100 == 0:
            print(f"  filled {start + len(rows):,} lines ({(start + len(rows) - have) / (time.perf_counter() - started):,.0f}/s)", flush=True)


def timed(fn, runs) -> list[float]:
    times = []
    for arg in runs:
        t = time.perf_counter()
        fn(arg)
        times.append(time.perf_counter() - t)
    return times


def lookups(project_id: int, count: int) -> None:
    from django.db import connection

    from triage import partitions
    from triage.logs import query
    from triage.logs.query import LogFilters
    from triage.logs.schema import TABLE
    from triage.models import LogLine, LogVolume

    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {TABLE}")
    total = sum(LogVolume.objects.values_list("lines", flat=True))
    traces = [t for t, in LogLine.objects.filter(project_id=project_id).order_by("?").values_list("trace_id")[:count]]
    rare = Lines(seed=11).rare  # the fill's words, each in ~1 line in 10,000
    words = [w for w in rare if LogLine.objects.filter(project_id=project_id).filter(query.text_match(w)).exists()][:50]

    def report(name, times, goal=None):
        p50, p95 = percentile(times, 50) * 1000, percentile(times, 95) * 1000
        print(f"{name:32s} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms{f'   (goal p95 < {goal} ms)' if goal else ''}", flush=True)

    print(f"\nlookups on {total:,} lines ({len(partitions.days(TABLE))} day partitions), {count} runs each:")
    report("trace id (logs_for_trace)", timed(lambda t: query.logs_for_trace(project_id, t), traces), 20)
    report("trace id (API page)", timed(lambda t: query.search_lines(project_id, LogFilters(trace_id=t)), traces), 20)
    hits = [LogLine.objects.filter(project_id=project_id).filter(query.text_match(w)).count() for w in words[:5]]
    report(f"text, a selective word (~{statistics.mean(hits):.0f} lines)",
           timed(lambda w: query.search_lines(project_id, LogFilters(q=w)), words * (count // max(len(words), 1))), 300)
    report("text, a common word ('shipped')", timed(lambda _: query.search_lines(project_id, LogFilters(q="shipped")), range(20)))
    report("newest page, no filter", timed(lambda _: query.search_lines(project_id, LogFilters()), range(50)))
    report("level=error", timed(lambda _: query.search_lines(project_id, LogFilters(levels=("error",))), range(50)))
    report("release (an old one)", timed(lambda _: query.search_lines(project_id, LogFilters(release="shop@1.0.0")), range(20)))
    report("release (no such)", timed(lambda _: query.search_lines(project_id, LogFilters(release="shop@9")), range(20)))
    report("logger + level=error", timed(lambda _: query.search_lines(project_id, LogFilters(logger="shop.checkout", levels=("error",))), range(20)))
    size = partitions.size_bytes(TABLE)
    print(f"\ndatabase size: {size / 2**20:,.0f} MiB for {total:,} lines = {size / total * 1e6 / 2**20:,.0f} MiB per million lines "
          f"(table, TOAST and indexes)")


def main():
    args = parse_args()
    if args.lookups_only:
        os.environ.update(DATABASE_URL=args.database_url, REDIS_URL=args.redis_url, SECRET_KEY="bench",
                          DJANGO_SETTINGS_MODULE="config.settings")
        import django

        django.setup()
        from projects.models import Project

        return lookups(Project.objects.get(slug="bench").id, args.lookups)
    project_id, public_key, env = prepare(args)
    print(f"phase 1: {args.pipeline_lines:,} lines through the logs endpoint and a worker", flush=True)
    pipeline(args, project_id, public_key, env)
    if not args.lines:
        return
    os.environ.update(env)
    import django

    django.setup()
    print(f"\nphase 2: filling to {args.lines:,} lines", flush=True)
    fill(project_id, args.lines)
    lookups(project_id, args.lookups)


if __name__ == "__main__":
    main()
