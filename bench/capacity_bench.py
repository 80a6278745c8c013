"""Capacity model: the per-core rates and per-event costs the README's capacity table is built from.

Runs the pipeline in two phases on a fresh database, as bench/pipeline_bench.py does with
--worker-after-accept: first the web process alone accepts every event (the worker is not
running, so the backlog builds up in the Redis stream), then one worker digests the backlog.
It measures, per phase, the CPU seconds each part spent (web or worker process, Redis from its
own INFO, PostgreSQL's processes summed) and prints events per CPU-second of each, i.e. what one
fully used core of it sustains; then Redis memory per 100k events of backlog and PostgreSQL bytes
per event and per group; then how many of each process a target rate needs.

    .venv/bin/python bench/capacity_bench.py --events 20000

Per-core figures are independent of how busy the machine is only to first order: on a shared
2-core machine the load generator, PostgreSQL and Redis compete with the part being measured.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from bench import pipeline_bench  # noqa: E402
from bench.loadgen import post_all  # noqa: E402
from config.processes import wait_until_serving  # noqa: E402

TARGETS = (1_000, 10_000, 100_000)
# What a group costs beyond its events: the group row and everything counted per group.
GROUP_TABLES = (
    "triage_errorgroup", "triage_groupfingerprint", "triage_grouprelease", "triage_groupenvironment",
    "triage_groupflag", "triage_grouptagvalue", "triage_groupcallpath", "triage_groupminutecount",
)


class CpuMeter(threading.Thread):
    """CPU seconds spent by a changing set of processes (PostgreSQL forks a backend per
    connection): sampled every 0.2 s, so a process that ends loses at most its last 0.2 s."""

    def __init__(self, select):
        super().__init__(daemon=True)
        self.select, self.last, self.total = select, {}, 0.0
        self.stopped = threading.Event()
        self._sample()

    def _sample(self):
        for process in psutil.process_iter(["name"]):
            try:
                if not self.select(process):
                    continue
                times = process.cpu_times()
                now = times.user + times.system
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            self.total += now - self.last.get(process.pid, now)
            self.last[process.pid] = now

    def run(self):
        while not self.stopped.wait(0.2):
            self._sample()

    def stop(self) -> float:
        self.stopped.set()
        self.join()
        self._sample()
        return self.total


def redis_cpu(client) -> float:
    info = client.info("cpu")
    return info["used_cpu_user"] + info["used_cpu_sys"]


def worker_cpu(process) -> float:
    """The worker's and its children's (a prefork pool does the work in children)."""
    return sum(sum(p.cpu_times()[:2]) for p in [process, *process.children(recursive=True)])


def postgres_sizes(env) -> dict:
    import psycopg

    with psycopg.connect(env["DATABASE_URL"].replace("postgres://", "postgresql://"), autocommit=True) as conn:
        sizes = dict(conn.execute(
            "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')").fetchall())
        # A partitioned table's size is its partitions'.
        for parent, size in conn.execute(
            "SELECT p.relname, SUM(pg_total_relation_size(i.inhrelid)) FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent "
            "GROUP BY p.relname").fetchall():
            sizes[parent] = sizes.get(parent, 0) + int(size)
        events = conn.execute("SELECT COUNT(*) FROM triage_errorevent").fetchone()[0]
        groups = conn.execute("SELECT COUNT(*) FROM triage_errorgroup").fetchone()[0]
        database = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    return {"sizes": sizes, "events": events, "groups": groups, "database": database}


def backends_of(database: str):
    """PostgreSQL's backends serving `database` (their title is "postgres: user database host …"),
    so other databases on the same server do not count; the shared WAL writer and checkpointer
    are left out too."""

    def select(process) -> bool:
        if process.info["name"] not in ("postgres", "postmaster"):
            return False
        title = " ".join(process.cmdline())
        return f" {database} " in title
    return select


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/switchyard_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    args.unique, args.worker_after_accept, args.projects = 0, True, 1
    if not args.database_url.startswith("postgres"):
        raise SystemExit("the capacity model is for PostgreSQL")
    import redis

    [(project_id, public_key)], env = pipeline_bench.prepare_database(args, args.redis_url, partitions=1)
    client = redis.Redis.from_url(args.redis_url)
    print(f"building {args.events} realistic envelopes…", flush=True)
    bodies, extra = pipeline_bench.bodies_for(args)
    bodies = list(bodies)
    wire_bytes = sum(len(b) for b in bodies)
    web = pipeline_bench.start_web(env, args)
    worker = None
    try:
        wait_until_serving(f"http://127.0.0.1:{args.port}", alive=lambda: web.poll() is None)
        url = f"http://127.0.0.1:{args.port}/api/{project_id}/envelope/"
        headers = {"Content-Type": "application/x-sentry-envelope",
                   "X-Sentry-Auth": f"Sentry sentry_key={public_key}, sentry_version=7", **extra}
        memory_before = client.info("memory")["used_memory"]
        web_process, redis_before = psutil.Process(web.pid), redis_cpu(client)
        web_before = sum(web_process.cpu_times()[:2])
        postgres = CpuMeter(backends_of(args.database_url.rsplit('/', 1)[1]))
        postgres.start()
        result = asyncio.run(post_all(url, headers, bodies, args.concurrency))
        ingest = {"web": sum(web_process.cpu_times()[:2]) - web_before, "redis": redis_cpu(client) - redis_before,
                  "postgres": postgres.stop()}
        accepted = result.statuses.get(200, 0)
        if accepted != args.events:
            raise SystemExit(f"only {accepted} of {args.events} accepted: {dict(result.statuses)}")
        backlog_bytes = client.info("memory")["used_memory"] - memory_before

        worker = pipeline_bench.start_worker(env)
        worker_process = psutil.Process(worker.pid)
        # Measured from the first committed batch on, so the worker's start-up (imports, connections)
        # does not count against its rate.
        while (first := pipeline_bench.digested(env, [project_id])) == 0:
            time.sleep(0.02)
        worker_before, redis_before = worker_cpu(worker_process), redis_cpu(client)
        postgres = CpuMeter(backends_of(args.database_url.rsplit('/', 1)[1]))
        postgres.start()
        started = time.perf_counter()
        while pipeline_bench.digested(env, [project_id]) < args.events:
            time.sleep(0.1)
        digest_seconds = time.perf_counter() - started
        digest = {"events": args.events - first, "worker": worker_cpu(worker_process) - worker_before,
                  "redis": redis_cpu(client) - redis_before, "postgres": postgres.stop()}
    finally:
        for p in (web, worker):
            if p is not None:
                p.terminate()
                p.wait(30)
    report(args, result, wire_bytes, ingest, digest, digest_seconds, backlog_bytes, postgres_sizes(env))


def report(args, result, wire_bytes, ingest, digest, digest_seconds, backlog_bytes, db):
    n, steady = args.events, digest["events"]
    accept_seconds = result.finished - result.started
    per_core = {
        "ingest (web process)": n / ingest["web"],
        "digest (worker process)": steady / digest["worker"],
        "Redis, ingest side": n / max(ingest["redis"], 1e-9),
        "Redis, digest side": steady / max(digest["redis"], 1e-9),
        "PostgreSQL, digest": steady / max(digest["postgres"], 1e-9),
    }
    print(f"\n{n} events, {wire_bytes / n / 1024:.1f} KiB each on the wire (gzip); accepted in {accept_seconds:.1f} s "
          f"({n / accept_seconds:,.0f}/s), one worker digested the last {steady} in {digest_seconds:.1f} s ({steady / digest_seconds:,.0f}/s)")
    print("\nevents per CPU-second (what one fully used core sustains):")
    for name, rate in per_core.items():
        print(f"  {name:26s} {rate:9,.0f}")
    print(f"  (PostgreSQL during ingest: {ingest['postgres']:.2f} CPU-s for {n} events: the request path writes no rows)")
    events_bytes = db["sizes"].get("triage_errorevent", 0)
    group_bytes = sum(db["sizes"].get(t, 0) for t in GROUP_TABLES)
    print(f"\nRedis memory per 100k events of backlog: {backlog_bytes / n * 100_000 / 2**20:,.0f} MiB")
    print(f"PostgreSQL bytes per event (events table, indexes, TOAST): {events_bytes / db['events']:,.0f}")
    print(f"PostgreSQL bytes per group ({db['groups']} groups: the group and its counts): {group_bytes / max(db['groups'], 1):,.0f}")
    print(f"whole database / events: {db['database'] / db['events']:,.0f} bytes")
    print("\nprocesses (one core each) a steady rate needs, from the per-core figures above, at 70 % busy:")
    print(f"  {'events/s':>9s} {'web':>5s} {'workers':>8s} {'Redis cores':>12s} {'PostgreSQL cores':>17s}")
    redis_per_event = 1 / per_core["Redis, ingest side"] + 1 / per_core["Redis, digest side"]
    for target in TARGETS:
        need = {
            "web": math.ceil(target / per_core["ingest (web process)"] / 0.7),
            "workers": math.ceil(target / per_core["digest (worker process)"] / 0.7),
            "redis": math.ceil(target * redis_per_event / 0.7),
            "postgres": math.ceil(target / per_core["PostgreSQL, digest"] / 0.7),
        }
        print(f"  {target:9,d} {need['web']:5d} {need['workers']:8d} {need['redis']:12d} {need['postgres']:17d}")


if __name__ == "__main__":
    main()
