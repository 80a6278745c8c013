"""Release health end to end with real parts: sentry-sdk's sessions → uvicorn/config.asgi → Redis →
a Celery worker → the crash-free rates; and a worker killed between its commit and its
acknowledgement counts nothing twice."""

import json
import subprocess
import sys
import time

import pytest
import redis
from django.db.models import Sum
from django.utils import timezone

from tests.conftest import delete_own_keys
from tests.live import ROOT, LiveWorker, wait_for, with_redis_db
from triage import stream
from triage.models import Release, ReleaseHealthMinute, SessionMessage
from triage.release_health import release_health
from triage.stream import IngestMessage

pytestmark = [pytest.mark.integration]


def totals(project, version: str) -> tuple:
    rows = ReleaseHealthMinute.objects.filter(project=project, release__version=version)
    sums = rows.aggregate(s=Sum("sessions"), e=Sum("errored"), c=Sum("crashed"), a=Sum("abnormal"))
    return sums["s"], sums["e"], sums["c"], sums["a"]


def test_the_real_sdks_sessions_become_crash_free_rates(live_stack, project):
    dsn = project.keys.first().dsn(live_stack.url)
    # 17 fine requests, 3 that crash, 2 with a handled error; and three users' own sessions.
    subprocess.run([sys.executable, str(ROOT / "tests/apps/health_app.py"), dsn, "shop@2.0.0", "production",
                    "17", "3", "2", "ann:crashed", "bob:ok", "cid:errored"], check=True, timeout=60)
    wait_for(lambda: totals(project, "shop@2.0.0")[0] == 25, timeout=60, what="25 sessions digested")
    assert totals(project, "shop@2.0.0") == (25, 3, 4, 0)  # sessions, errored, crashed, abnormal
    release = Release.objects.get(project=project, version="shop@2.0.0")
    health = release_health([release.id])[release.id]
    assert health.crash_free_sessions == pytest.approx(100 * 21 / 25)
    assert (health.users, health.crashed_users) == (3, 1)  # only the users' own sessions carry a did
    assert health.crash_free_users == pytest.approx(100 * 2 / 3)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_after_its_commit_counts_no_session_twice(project):
    env = with_redis_db(4)
    client = redis.Redis.from_url(env["REDIS_URL"])
    delete_own_keys(client)  # never FLUSHDB: another run's worker may share this database
    stream.ensure_group(client, stream.SESSIONS)
    started = timezone.now().replace(second=0, microsecond=0).isoformat()
    for n in range(20):
        item = {"attrs": {"release": "shop@3.0.0", "environment": "production"},
                "aggregates": [{"started": started, "exited": 4, "crashed": 1}]}
        client.xadd(stream.SESSIONS, IngestMessage(project.id, f"{n:032x}", time.time(), json.dumps(item).encode()).to_fields())

    doomed = LiveWorker("doomed-sessions", SWITCHYARD_FAULT="after-commit", **env)
    assert doomed.wait_exit(timeout=60) == 99, doomed.tail()
    assert totals(project, "shop@3.0.0") == (100, 0, 20, 0)  # committed…
    assert client.xpending(stream.SESSIONS, stream.GROUP)["pending"] == 20  # …never acknowledged

    survivor = LiveWorker("survivor-sessions", **env)
    try:
        wait_for(lambda: client.xpending(stream.SESSIONS, stream.GROUP)["pending"] == 0, timeout=60, what="the reclaim")
    finally:
        survivor.stop()
    assert totals(project, "shop@3.0.0") == (100, 0, 20, 0)
    assert SessionMessage.objects.count() == 20
    delete_own_keys(client)
