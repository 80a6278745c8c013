"""Soak benchmark: nothing lost and nothing counted twice, through worker kills and a database outage.

Starts a web server (uvicorn + config.asgi) and a Celery worker on a fresh database, sends
--events realistic events (default 100,000) at --rate per second from this machine, kills the
worker with SIGKILL every --kill-every seconds (10) and starts a new one, and cuts the workers'
database for --outage seconds (20) in the middle of the run: the workers reach PostgreSQL through
a TCP proxy on 127.0.0.1 (bench/tcp_proxy.py) that the benchmark stops and restarts; the web
server keeps its own connection, so ingest goes on accepting. Then it waits for the backlog to
drain and prints sent, accepted (HTTP 200) and counted (the per-minute counts in Redis, which
count a message if and only if its acknowledgement went through), with the events stored, the
groups' event counts and the dead letters beside them. It exits 1 unless counted == accepted.

    .venv/bin/python bench/soak_bench.py                      # PostgreSQL + Redis on 127.0.0.1
    .venv/bin/python bench/soak_bench.py --events 20000       # a shorter run

Traffic stays on 127.0.0.1 and the run is bounded: --events requests, and --deadline seconds for
the backlog to drain after the last one. The Redis database is not flushed: the benchmark deletes
Switchyard's keys ({switchyard}:*, switchyard:*) in it before it starts.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.events import envelopes  # noqa: E402
from bench.loadgen import Result, post_all  # noqa: E402
from bench.tcp_proxy import TcpProxy  # noqa: E402
from config.processes import wait_until_serving, web_command, worker_command  # noqa: E402

EVENTS_STREAM = "{switchyard}:stream:events"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rate", type=int, default=500, help="events sent per second")
    parser.add_argument("--unique", type=int, default=2_000, help="distinct pre-built events (event ids always differ)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--kill-every", type=float, default=10.0, help="seconds between worker kills (0: never)")
    parser.add_argument("--outage", type=float, default=20.0, help="seconds the workers' database is cut (0: never)")
    parser.add_argument("--deadline", type=float, default=600.0, help="seconds to wait for the backlog after sending")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/switchyard_soak"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"))
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    for url in (args.database_url, args.redis_url):
        if urlsplit(url).hostname not in ("127.0.0.1", "localhost"):
            parser.error(f"{url}: the soak benchmark only runs against 127.0.0.1")
    if not args.database_url.startswith("postgres"):
        parser.error("the database outage needs PostgreSQL (a network database)")
    return args


def prepare(args) -> tuple[int, str, dict]:
    """A fresh database with one project; Switchyard's Redis keys deleted. Returns the project id,
    its public key and the environment for the processes."""
    env = dict(os.environ, DATABASE_URL=args.database_url, REDIS_URL=args.redis_url, SECRET_KEY="bench",
               ALLOWED_HOSTS="127.0.0.1,localhost", DJANGO_SETTINGS_MODULE="config.settings",
               SWITCHYARD_BASE_URL=f"http://127.0.0.1:{args.port}", CELERY_BROKER_URL=args.redis_url,
               PYTHONUNBUFFERED="1")
    name = args.database_url.rsplit("/", 1)[1]
    admin = args.database_url.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True)
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True)
    delete_own_keys(args.redis_url)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)
    out = subprocess.run([*manage, "create_project", "soak"], env=env, check=True, capture_output=True, text=True).stdout
    dsn = out.strip().splitlines()[-1]
    return int(dsn.rsplit("/", 1)[1]), dsn.split("//")[1].split("@")[0], env


def delete_own_keys(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    for pattern in ("{switchyard}:*", "switchyard:*"):
        keys = list(client.scan_iter(match=pattern, count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start:start + 1000])


class Workers:
    """One worker at a time, on the proxied database; kill() replaces it with a fresh one."""

    def __init__(self, env: dict, log_dir: Path):
        self.env = env
        self.log = open(log_dir / "workers.log", "ab")
        self.kills = 0
        self.process = self._start()

    def _start(self) -> subprocess.Popen:
        options = ("--pool=solo", "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=WARNING")
        return subprocess.Popen(worker_command(*options), cwd=ROOT, env=self.env, stdout=self.log,
                                stderr=subprocess.STDOUT, start_new_session=True)

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(30)
        self.kills += 1
        self.process = self._start()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


def chaos(args, workers: Workers, proxy: TcpProxy, sending: threading.Event, say) -> threading.Thread:
    """Kills the worker every --kill-every seconds while sending; cuts the database mid-run."""
    duration = args.events / args.rate
    outage_at = max(0.0, duration / 2 - args.outage / 2) if args.outage else None

    def run():
        # Kills at 5, 15, 25… s: out of step with the outage, so some worker sees it begin and end.
        started, next_kill, back_at = time.monotonic(), args.kill_every / 2, None
        while sending.is_set() or not proxy.running:
            now = time.monotonic() - started
            if outage_at is not None and back_at is None and now >= outage_at:
                proxy.stop()
                back_at = now + args.outage
                say(f"t={now:5.1f} s  database cut for {args.outage:.0f} s")
            if back_at is not None and not proxy.running and now >= back_at:
                proxy.start()
                say(f"t={now:5.1f} s  database back")
            if args.kill_every and sending.is_set() and now >= next_kill:
                workers.kill()
                next_kill += args.kill_every
                say(f"t={now:5.1f} s  worker killed ({workers.kills})")
            time.sleep(0.1)

    thread = threading.Thread(target=run, name="chaos", daemon=True)
    thread.start()
    return thread


def bodies(args):
    """--events envelope bodies (uncompressed) from --unique templates, each with a new event id."""
    templates = [gzip.decompress(b) for b in envelopes(min(args.unique, args.events))]
    for i in range(args.events):
        body = templates[i % len(templates)]
        yield body.replace(body[14:46], uuid.uuid4().hex.encode())  # {"event_id":"<32 hex>" in header and event


async def send(args, url: str, headers: dict) -> Result:
    """Sends at --rate: one slice of `rate` events per second, each over --concurrency connections."""
    total, source = Result(), bodies(args)
    total.started = time.perf_counter()
    for second in range(0, -(-args.events // args.rate)):
        chunk = [b for _, b in zip(range(args.rate), source, strict=False)]
        result = await post_all(url, headers, chunk, args.concurrency)
        total.statuses.update(result.statuses)
        total.latencies += result.latencies
        await asyncio.sleep(max(0.0, total.started + second + 1 - time.perf_counter()))
    total.finished = time.perf_counter()
    return total


def tally(args, project_id: int) -> dict[str, int]:
    import psycopg
    import redis

    client = redis.Redis.from_url(args.redis_url)
    counted = sum(int(v) for key in client.scan_iter(match="{switchyard}:counts:*", count=1000)
                  for v in client.hvals(key))
    pending = client.xpending(EVENTS_STREAM, "digest")["pending"] if client.exists(EVENTS_STREAM) else 0
    with psycopg.connect(args.database_url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        stored = conn.execute("SELECT count(*) FROM triage_errorevent WHERE project_id = %s", [project_id]).fetchone()[0]
        grouped = conn.execute("SELECT COALESCE(SUM(event_count), 0) FROM triage_errorgroup WHERE project_id = %s",
                               [project_id]).fetchone()[0]
    return {"counted": counted, "stored": int(stored), "grouped": int(grouped), "pending": pending,
            "waiting": client.xlen(EVENTS_STREAM), "dead": client.xlen(EVENTS_STREAM + ":dead")}


def main() -> int:
    args = parse_args()
    started = time.monotonic()

    def say(text: str) -> None:
        print(text, flush=True)

    project_id, public_key, env = prepare(args)
    log_dir = Path(tempfile.mkdtemp(prefix="switchyard-soak-"))
    target = urlsplit(args.database_url)
    proxy = TcpProxy(target.hostname, target.port or 5432).start()
    worker_env = dict(env, DATABASE_URL=proxy.url_for(args.database_url), SWITCHYARD_CLAIM_IDLE_MS="2000",
                      SWITCHYARD_OUTAGE_BACKOFF_MAX_SECONDS="2")
    web = subprocess.Popen(web_command(args.port), cwd=ROOT, env=env, stdout=open(log_dir / "web.log", "ab"),
                           stderr=subprocess.STDOUT)
    workers = Workers(worker_env, log_dir)
    sending = threading.Event()
    try:
        wait_until_serving(f"http://127.0.0.1:{args.port}", alive=lambda: web.poll() is None)
        say(f"sending {args.events} events at {args.rate}/s; worker killed every {args.kill_every:.0f} s; "
            f"database cut for {args.outage:.0f} s mid-run; logs in {log_dir}")
        url = f"http://127.0.0.1:{args.port}/api/{project_id}/envelope/"
        headers = {"Content-Type": "application/x-sentry-envelope",
                   "X-Sentry-Auth": f"Sentry sentry_key={public_key}, sentry_version=7"}
        sending.set()
        chaos_thread = chaos(args, workers, proxy, sending, say)
        result = asyncio.run(send(args, url, headers))
        sending.clear()
        chaos_thread.join()
        accepted = result.statuses.get(200, 0)
        say(f"sent in {result.finished - result.started:.0f} s; waiting for the backlog to drain…")
        deadline = time.monotonic() + args.deadline
        while (counts := tally(args, project_id))["counted"] < accepted or counts["pending"] or counts["waiting"]:
            if time.monotonic() > deadline:
                say("the backlog did not drain before --deadline")
                break
            time.sleep(1)
    finally:
        sending.clear()
        workers.stop()
        web.terminate()
        web.wait(30)
        proxy.stop()
    counts = tally(args, project_id)
    log = (log_dir / "workers.log").read_text(errors="replace")
    print(f"\nsent:          {sum(result.statuses.values())}  statuses: {dict(result.statuses)}")
    print(f"accepted:      {accepted}")
    print(f"counted:       {counts['counted']}  (per-minute counts: each acknowledged message once)")
    print(f"stored:        {counts['stored']} events, {counts['grouped']} in the groups' counts")
    print(f"dead letters:  {counts['dead']}   still waiting: {counts['waiting']}")
    print(f"chaos:         {workers.kills} workers killed; database cut {args.outage:.0f} s; worker log: "
          f"{log.count('database unreachable: consumer')} outage began / {log.count('outage over after')} over lines")
    ok = counts["counted"] == accepted == counts["stored"] == counts["grouped"]
    print(f"counted == accepted: {'yes' if ok else 'NO'}   ({time.monotonic() - started:.0f} s in all)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
