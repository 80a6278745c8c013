"""Pipeline benchmark: events/s accepted at the HTTP endpoint and events/s digested end to end.

Starts its own web server (uvicorn + config.asgi, one process) and one Celery worker process on
a fresh database, sends realistic pre-built envelopes (bench/events.py) concurrently from this
machine, and prints accept and digest rates with CPU and peak memory of web and worker.

    .venv/bin/python bench/pipeline_bench.py                      # PostgreSQL + Redis on 127.0.0.1
    .venv/bin/python bench/pipeline_bench.py --events 1000000 --unique 20000   # memory over 1M events

With --unique below --events, bodies are sent uncompressed and only their event_id changes, so a
long run needs no gigabytes of pre-built envelopes.

    .venv/bin/python bench/pipeline_bench.py --cluster --partitions 1,2,4

runs once per number of stream partitions (SWITCHYARD_STREAM_PARTITIONS), each on a fresh
database, and prints the rates side by side; --cluster runs them on a local three-master Redis
Cluster (bench/redis_cluster.py), with Celery's broker on --redis-url (kombu has no cluster
transport). --projects N sends the events from N projects in turn: each sticks to its partition
(triage.edge.partitions). With one project (the default) it sends everything, so past its first
200 events it counts as hot and is spread over every partition by event id: its groups' rows are
then written by as many consumers at once.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from bench.events import envelopes  # noqa: E402
from bench.loadgen import Result, percentile, post_all  # noqa: E402
from config.processes import wait_until_serving, web_command, worker_command  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=30_000)
    parser.add_argument("--unique", type=int, default=0, help="distinct pre-built events (default: --events)")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/switchyard_bench"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"))
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--worker-after-accept", action="store_true",
                        help="start the worker only once every event is accepted: digest rate of the worker alone")
    parser.add_argument("--partitions", default="1",
                        help="comma-separated numbers of stream partitions, one run each, printed side by side")
    parser.add_argument("--projects", type=int, default=1, help="projects sending the events in turn")
    parser.add_argument("--cluster", action="store_true",
                        help="on a local three-master Redis Cluster (the broker stays on --redis-url)")
    args = parser.parse_args()
    try:
        args.partitions = [int(n) for n in args.partitions.split(",")]
    except ValueError:
        parser.error("--partitions takes numbers separated by commas, e.g. 1,2,4")
    if any(n < 1 for n in args.partitions):
        parser.error("--partitions must be at least 1")
    if not 1 <= args.projects <= args.concurrency:
        parser.error("--projects must be between 1 and --concurrency")
    return args


def flush_redis(url: str) -> None:
    import redis
    import redis.cluster

    from config.redis_clients import is_cluster_url, parse_cluster_url

    if is_cluster_url(url):
        nodes = [redis.cluster.ClusterNode(host, port) for host, port in parse_cluster_url(url).nodes]
        client = redis.cluster.RedisCluster(startup_nodes=nodes)
        client.flushall()  # every primary
        client.close()
    else:
        redis.Redis.from_url(url).flushdb()


def prepare_database(args, redis_url: str, partitions: int) -> tuple[list[tuple[int, str]], dict]:
    env = dict(os.environ, DATABASE_URL=args.database_url, REDIS_URL=redis_url, SECRET_KEY="bench",
               ALLOWED_HOSTS="127.0.0.1,localhost", DJANGO_SETTINGS_MODULE="config.settings",
               SWITCHYARD_BASE_URL=f"http://127.0.0.1:{args.port}", SWITCHYARD_STREAM_MAXLEN="1000000",
               SWITCHYARD_STREAM_PARTITIONS=str(partitions), CELERY_BROKER_URL=args.redis_url)
    if args.database_url.startswith("postgres"):
        name = args.database_url.rsplit("/", 1)[1]
        admin = args.database_url.rsplit("/", 1)[0] + "/postgres"
        subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True)
        subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True)
    flush_redis(redis_url)
    if redis_url != args.redis_url:
        flush_redis(args.redis_url)  # the broker's
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
    projects = []
    for n in range(args.projects):
        name = "bench" if n == 0 else f"bench-{n}"
        out = subprocess.run([*manage, "create_project", name], env=env, check=True, capture_output=True, text=True).stdout
        dsn = out.strip().splitlines()[-1]
        projects.append((int(dsn.rsplit("/", 1)[1]), dsn.split("//")[1].split("@")[0]))
    return projects, env


def start_web(env, args):
    return subprocess.Popen(web_command(args.port), cwd=ROOT, env=env)


def start_worker(env):
    options = ("--pool=solo", "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=WARNING")
    return subprocess.Popen(worker_command(*options), cwd=ROOT, env=env)


class Sampler(threading.Thread):
    """CPU% and peak RSS of a process every 0.5 s."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.cpu: list[float] = []
        self.rss: list[int] = []
        self.stopped = threading.Event()

    def run(self):
        self.process.cpu_percent()
        while not self.stopped.wait(0.5):
            try:
                self.cpu.append(self.process.cpu_percent())
                self.rss.append(self.process.memory_info().rss)
            except psutil.NoSuchProcess:
                return


def digested(env, project_ids: list[int]) -> int:
    import psycopg

    if env["DATABASE_URL"].startswith("postgres"):
        with psycopg.connect(env["DATABASE_URL"].replace("postgres://", "postgresql://"), autocommit=True) as conn:
            return int(conn.execute("SELECT COALESCE(SUM(event_count), 0) FROM triage_errorgroup WHERE project_id = ANY(%s)",
                                    [project_ids]).fetchone()[0])
    raise SystemExit("the digest count needs PostgreSQL")


async def post_from_projects(args, projects, bodies, extra_headers) -> Result:
    """The bodies in turn from each project, over the connections shared out between them."""
    iterator = iter(bodies)  # drawn from by every project's connections: all finish together
    calls = []
    for n, (project_id, public_key) in enumerate(projects):
        url = f"http://127.0.0.1:{args.port}/api/{project_id}/envelope/"
        headers = {"Content-Type": "application/x-sentry-envelope",
                   "X-Sentry-Auth": f"Sentry sentry_key={public_key}, sentry_version=7", **extra_headers}
        connections = args.concurrency // len(projects) + (n < args.concurrency % len(projects))
        calls.append(post_all(url, headers, (body for body in iterator), connections))
    results = await asyncio.gather(*calls)
    merged = Result()
    for r in results:
        merged.statuses.update(r.statuses)
        merged.latencies += r.latencies
    merged.started, merged.finished = min(r.started for r in results), max(r.finished for r in results)
    return merged


def bodies_for(args):
    unique = args.unique or args.events
    if unique >= args.events:
        return envelopes(args.events), {"Content-Encoding": "gzip"}
    templates = [gzip.decompress(b) for b in envelopes(unique)]

    def generate():
        for i in range(args.events):
            body = templates[i % unique]
            old = body[14:46]  # the envelope header starts with {"event_id":"<32 hex>"
            yield body.replace(old, uuid.uuid4().hex.encode())

    return generate(), {}


def main():
    args = parse_args()
    cluster = None
    if args.cluster:
        from bench.redis_cluster import LocalCluster

        cluster = LocalCluster().start()
        print(f"Redis Cluster: {cluster.url}", flush=True)
    runs = {}
    try:
        for partitions in args.partitions:
            print(f"\n=== {partitions} partition(s){' on the Redis Cluster' if cluster else ''} ===", flush=True)
            runs[partitions] = run(args, cluster.url if cluster else args.redis_url, partitions)
    finally:
        if cluster:
            cluster.stop()
    if len(runs) > 1:
        side_by_side(runs, "Redis Cluster, 3 masters" if cluster else args.redis_url)


def side_by_side(runs: dict[int, dict], where: str) -> None:
    rows = [("accepted (events/s)", "accepted", "{:,.0f}"), ("request p50 (ms)", "p50", "{:.1f}"),
            ("request p99 (ms)", "p99", "{:.1f}"), ("digested end to end (events/s)", "digested", "{:,.0f}"),
            ("steady digest (events/s)", "steady", "{:,.0f}"), ("web CPU avg (%)", "web_cpu", "{:.0f}"),
            ("worker CPU avg (%)", "worker_cpu", "{:.0f}")]
    print(f"\nside by side ({where}; {os.cpu_count()} cores):")
    print(f"{'':32s}" + "".join(f"{f'{n} partition' + ('s' if n > 1 else ''):>16s}" for n in runs))
    for label, key, fmt in rows:
        cells = [fmt.format(r[key]) if r.get(key) is not None else "-" for r in runs.values()]
        print(f"{label:32s}" + "".join(f"{c:>16s}" for c in cells))


def run(args, redis_url: str, partitions: int) -> dict:
    projects, env = prepare_database(args, redis_url, partitions)
    print(f"building {args.unique or args.events} realistic envelopes…", flush=True)
    bodies, extra_headers = bodies_for(args)
    web = start_web(env, args)
    worker = None if args.worker_after_accept else start_worker(env)
    try:
        wait_until_serving(f"http://127.0.0.1:{args.port}", alive=lambda: web.poll() is None)
        samplers = [Sampler(web.pid)] + ([Sampler(worker.pid)] if worker else [])
        for s in samplers:
            s.start()
        started = time.perf_counter()
        result = asyncio.run(post_from_projects(args, projects, bodies, extra_headers))
        if worker is None:
            worker = start_worker(env)
            samplers.append(Sampler(worker.pid))
            samplers[-1].start()
            started = time.perf_counter()  # the digest clock starts with the worker
        first_at = None
        while (count := digested(env, [project_id for project_id, _ in projects])) < args.events:
            if first_at is None and count:
                first_at, first_count = time.perf_counter(), count
            time.sleep(0.1)
        digested_at = time.perf_counter()
        steady = None
        if first_at and digested_at > first_at:
            steady = (args.events - first_count) / (digested_at - first_at)
            print(f"steady digest rate:   {steady:,.0f} events/s "
                  f"(from the first committed batch, leaving out worker start-up)")
        for s in samplers:
            s.stopped.set()
        return {**report(args, result, started, digested_at, samplers), "steady": steady}
    finally:
        for p in (web, worker):
            if p is not None:
                p.terminate()
                p.wait(30)


def report(args, result, started, digested_at, samplers):
    accepted = result.statuses.get(200, 0)
    accept_seconds = result.finished - result.started
    print(f"\nevents sent:          {sum(result.statuses.values())}  statuses: {dict(result.statuses)}")
    print(f"accepted:             {accepted / accept_seconds:,.0f} events/s  ({accepted} in {accept_seconds:.1f} s, "
          f"{args.concurrency} connections)")
    print(f"request latency:      p50 {percentile(result.latencies, 50) * 1000:.1f} ms, p99 {percentile(result.latencies, 99) * 1000:.1f} ms")
    if digested_at:
        what = "worker alone, from a full stream" if args.worker_after_accept else "accepted → grouped, while accepting"
        print(f"digested end to end:  {args.events / (digested_at - started):,.0f} events/s  "
              f"({what}: all {args.events} in {digested_at - started:.1f} s)")
    figures = {"accepted": accepted / accept_seconds, "p50": percentile(result.latencies, 50) * 1000,
               "p99": percentile(result.latencies, 99) * 1000,
               "digested": args.events / (digested_at - started) if digested_at else None}
    for name, s in zip(("web", "worker"), samplers, strict=True):
        avg = sum(s.cpu) / len(s.cpu) if s.cpu else 0
        figures[f"{name}_cpu"] = avg
        print(f"{name:7s} CPU avg {avg:5.0f} %   RSS peak {max(s.rss, default=0) / 2**20:6.0f} MiB   "
              f"RSS first/last {s.rss[0] / 2**20 if s.rss else 0:.0f}/{s.rss[-1] / 2**20 if s.rss else 0:.0f} MiB")
    return figures


if __name__ == "__main__":
    main()
