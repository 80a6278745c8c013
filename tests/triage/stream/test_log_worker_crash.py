"""A real worker killed between its database commit and its acknowledgement of log messages loses
no line and stores or counts none twice: a second worker reclaims them, inserts nothing again
(unique per stream id and position) and the day's volume stays what was stored."""

import json
import time

import pytest
import redis

from tests.conftest import delete_own_keys
from tests.live import LiveWorker, wait_for, with_redis_db
from triage import stream
from triage.models import LogLine, LogVolume
from triage.stream import IngestMessage

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
MESSAGES, LINES = 12, 10


def test_worker_killed_after_commit_before_ack_loses_no_line_and_stores_none_twice(project):
    env = with_redis_db(2)
    client = redis.Redis.from_url(env["REDIS_URL"])
    delete_own_keys(client)  # never FLUSHDB: another run's worker may share this database
    stream.ensure_group(client, stream.LOGS)
    for m in range(MESSAGES):
        items = [{"timestamp": time.time(), "level": "info", "body": f"message {m} line {i}"} for i in range(LINES)]
        payload = json.dumps({"version": 2, "items": items}).encode()
        client.xadd(stream.LOGS, IngestMessage(project.id, f"{m:032x}", time.time(), payload).to_fields())

    doomed = LiveWorker("doomed", SWITCHYARD_FAULT="after-commit", **env)
    assert doomed.wait_exit(timeout=60) == 99, doomed.tail()
    assert LogLine.objects.filter(project_id=project.id).count() > 0  # committed…
    assert client.xpending(stream.LOGS, stream.GROUP)["pending"] > 0  # …never acknowledged

    survivor = LiveWorker("survivor", **env)
    try:
        wait_for(lambda: client.xlen(stream.LOGS) == 0, timeout=60, what="the reclaim")
    finally:
        survivor.stop()
    assert LogLine.objects.filter(project_id=project.id).count() == MESSAGES * LINES
    assert len(set(LogLine.objects.values_list("message", flat=True))) == MESSAGES * LINES
    assert sum(LogVolume.objects.filter(project_id=project.id).values_list("lines", flat=True)) == MESSAGES * LINES
    assert client.xpending(stream.LOGS, stream.GROUP)["pending"] == 0
    assert client.xlen(stream.dead_letter_stream(stream.LOGS)) == 0
    delete_own_keys(client)
