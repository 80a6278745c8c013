"""Attribution figures (issue 9): how long ranking a group's flags takes at 100 flags and 1M
exposures, and how long a guarded flag lives after a spike pinned on it begins.

    .venv/bin/python bench/attribution_bench.py                       # both, private SQLite + Redis
    .venv/bin/python bench/attribution_bench.py --skip-kill --rounds 50

Ranking: 100 flags at 50 %, 10,000 users each evaluating all of them (1,000,000 exposures, in the
flags app's HyperLogLogs, as OFREP writes them), and one group of 2,000 events from 1,000 users,
each event carrying the 100 flags. Each sample is one fresh `triage.attribution.evidence.attribute`
(events read, 100 flags' exposures counted against the affected users, ranked).

Onset to kill: a server, a worker and beat (the watch every 5 s), the guard on `enforce` for
one flag among five, and the real app of the end-to-end test (tests/apps/guarded_app.py) sending
its users' errors through sentry-sdk. The onset is the app's first request; the kill is the
guard's audit row. Goal: under 30 s with 20 users affected.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from flags_stack import ROOT, percentiles, setup_django, start_server, stop_server, teardown  # noqa: E402

FLAGS, USERS, EVENTS, AFFECTED = 100, 10_000, 2_000, 1_000


def ranking(rounds: int) -> None:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from config.redis_clients import redis_client
    from flags import changes, exposures
    from projects.members import create_project
    from triage import event_partitions
    from triage.attribution.evidence import attribute
    from triage.models import ErrorEvent, ErrorGroup

    owner = get_user_model().objects.filter(username="bench").first() or get_user_model().objects.create_superuser(
        "bench", "b@example.com", "pw")
    project = create_project(f"attribution-{int(time.time())}", members=[owner])
    keys = [f"bench/flag-{i:03d}" for i in range(FLAGS)]
    for key in keys:
        changes.create_flag(project, key=key, owner=owner, actor=owner, source="command",
                            environments={"production": {"enabled": True, "rollout_percentage": 50}})
    redis, now, rng = redis_client(), timezone.now(), random.Random(1)
    variants = {u: {k: rng.choice(["on", "off"]) for k in keys} for u in range(USERS)}
    started = time.perf_counter()
    for user, chosen in variants.items():
        exposures.record_evaluations(redis, project.id, "production", list(chosen.items()), now.timestamp(),
                                     targeting_key=f"user-{user}")
    print(f"exposures: {USERS * FLAGS:,} written in {time.perf_counter() - started:.1f} s")
    group = ErrorGroup.objects.create(project=project, fingerprint=uuid.uuid4().hex, algorithm="bench", title="Bench",
                                      first_seen=now, last_seen=now, event_count=EVENTS)
    rows = []
    for _ in range(EVENTS):
        user = rng.randrange(AFFECTED)
        flags = {k: "true" if v == "on" else "false" for k, v in variants[user].items()}
        rows.append(ErrorEvent(project=project, group=group, event_id=uuid.uuid4().hex, timestamp=now, received_at=now,
                               environment="production", title="Bench", user_key=f"id:user-{user}", flags=flags, payload="{}"))
    event_partitions.ensure_for([now])
    ErrorEvent.objects.bulk_create(rows, batch_size=500)
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        result = attribute(redis, group, timezone.now())
        samples.append((time.perf_counter() - started) * 1000)
    print(f"ranking one group, {FLAGS} flags, {USERS * FLAGS:,} exposures, {EVENTS:,} events: {percentiles(samples)}")
    print(f"  ranked {len(result.suspicions)} flags; significant: {sum(s.significant for s in result.suspicions)}")


def onset_to_kill(runs: int) -> None:
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from config.processes import beat_command, worker_command
    from config.redis_clients import redis_client
    from flags import changes, sdk_keys
    from flags.models import FlagChange
    from projects.members import create_project
    from triage.grouping import counters

    url, server = start_server()
    env = dict(os.environ, REDIS_URL=settings.REDIS_URL, CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
               SWITCHYARD_BASE_URL=url, PYTHONUNBUFFERED="1")
    worker = subprocess.Popen(worker_command("--pool=solo", "--loglevel=WARNING", "-n", f"bench-{uuid.uuid4().hex[:6]}@%h"),
                              cwd=ROOT, env=env)
    beat = subprocess.Popen(beat_command("--schedule", os.path.join(os.environ.get("SWITCHYARD_LOCAL_DIR", "/tmp"),
                                                                    f"bench-beat-{os.getpid()}"), "--loglevel=WARNING"),
                            cwd=ROOT, env=env)
    times = []
    try:
        for run in range(runs):
            name = uuid.uuid4().hex[:8]
            owner = get_user_model().objects.create_user(f"owner-{name}", f"owner-{name}@example.com", "pw")
            project = create_project(f"guarded-{name}", members=[owner])
            for key in ["bad-checkout", "noise-a", "noise-b", "noise-c", "noise-d"]:
                changes.create_flag(project, key=key, owner=owner, actor=owner, source="command",
                                    environments={"production": {"enabled": True, "rollout_percentage": 50}})
            bad = project.flags.get(key="bad-checkout")
            changes.update_environment(bad, "production", {"guard": "enforce"}, actor=owner, source="api")
            sdk_key = sdk_keys.create_sdk_key(project, "production", source="command")[1]
            redis, minute = redis_client(), counters.minute_of(bad.created_at)
            for m in range(minute - 16 * 60, minute - 60, 60):  # the project's usual two errors a minute
                redis.hset(counters.project_counts_key(m), project.id, 2)
                redis.expire(counters.project_counts_key(m), 3600)
            onset = time.time()
            subprocess.run([sys.executable, str(ROOT / "tests/apps/guarded_app.py"), url, project.keys.first().dsn(url),
                            sdk_key, "100", str(run)], check=True, timeout=300, cwd=ROOT)
            sent = time.time()
            deadline = time.time() + 120
            kill = None
            while kill is None and time.time() < deadline:
                kill = FlagChange.objects.filter(flag=bad, source="guard", action="disabled").first()
                time.sleep(0.2)
            if kill is None:
                print(f"run {run + 1}: no kill within 120 s of the app's end")
                continue
            took = kill.created_at.timestamp() - onset
            times.append(took)
            print(f"run {run + 1}: onset → kill {took:.1f} s (the app sent for {sent - onset:.1f} s); {kill.reason[:160]}")
        if times:
            print(f"onset to kill over {len(times)} runs: median {statistics.median(times):.1f} s, max {max(times):.1f} s")
    finally:
        for process in (beat, worker):
            process.terminate()
            process.wait(20)
        stop_server(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3, help="onset-to-kill runs")
    parser.add_argument("--skip-ranking", action="store_true")
    parser.add_argument("--skip-kill", action="store_true")
    args = parser.parse_args()
    setup_django()
    try:
        if not args.skip_ranking:
            ranking(args.rounds)
        if not args.skip_kill:
            onset_to_kill(args.runs)
    finally:
        teardown()


if __name__ == "__main__":
    main()
