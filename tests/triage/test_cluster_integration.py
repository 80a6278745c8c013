"""On a real three-master Redis Cluster (bench/redis_cluster.py: Debian's redis-server, joined with
`redis-cli --cluster create`): the real sentry-sdk sends through ingest into 8 stream partitions,
two real workers digest them, one is killed mid-run, and every event the SDK sent is stored and
counted exactly once; then a flag kill reaches an OFREP client, and the change stream, through
the cluster. Celery's broker stays on a single Redis (config.settings: kombu has no cluster
transport)."""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import redis.cluster
import requests
from django.utils import timezone
from openfeature import api
from openfeature.contrib.provider.ofrep import OFREPProvider
from openfeature.evaluation_context import EvaluationContext

from bench import redis_cluster
from config.redis_clients import parse_cluster_url
from flags import triggers
from tests.factories import make_project
from tests.flags.factories import make_flag, make_sdk_key
from tests.live import ROOT, LiveServer, LiveWorker, wait_for, with_redis_db
from triage import stream
from triage.grouping import counters
from triage.models import ErrorEvent, ErrorGroup

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not redis_cluster.available(), reason="needs Debian's redis-server and redis-cli"),
]
PARTITIONS = 8
HOT, CALM = 300, 30  # one project sends most: past the hot share it is spread over every partition


@pytest.fixture(scope="module")
def cluster():
    with redis_cluster.LocalCluster() as local:
        yield local


@pytest.fixture
def cluster_env(cluster):
    return {"REDIS_URL": cluster.url, "CELERY_BROKER_URL": with_redis_db(7)["CELERY_BROKER_URL"],
            "SWITCHYARD_STREAM_PARTITIONS": str(PARTITIONS)}


@pytest.fixture
def cluster_client(cluster):
    nodes = [redis.cluster.ClusterNode(host, port) for host, port in parse_cluster_url(cluster.url).nodes]
    client = redis.cluster.RedisCluster(startup_nodes=nodes)
    yield client
    client.close()


def send_with_the_sdk(dsn: str, count: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "tests/apps/burst_app.py"), dsn, str(count)],
                            stdout=subprocess.PIPE, text=True)


def pending(client) -> int:
    return sum(client.xpending(name, stream.GROUP)["pending"] for name in stream.partition_streams(stream.EVENTS, PARTITIONS)
               if client.exists(name))


def consumers(client) -> dict:
    """Per partition, each consumer's pending count and idle time: what a failure message shows."""
    return {p: [(c["name"], c["pending"], c["idle"]) for c in client.xinfo_consumers(name, stream.GROUP)]
            for p, name in enumerate(stream.partition_streams(stream.EVENTS, PARTITIONS)) if client.exists(name)}


def test_events_through_8_partitions_on_a_cluster_are_counted_once_when_a_worker_dies(cluster_env, cluster_client):
    hot, *calm = [make_project(f"c{i}") for i in range(4)]
    server = LiveServer(**cluster_env)
    # The first worker dies in its first batch, between the database commit and the
    # acknowledgement (triage.stream.faults): the hardest moment, at a point the test knows.
    first = LiveWorker("cluster-1", SWITCHYARD_FAULT="after-commit", **cluster_env)
    second = LiveWorker("cluster-2", **cluster_env)
    try:
        wait_for(lambda: all("stream consumers started" in w.tail() for w in (first, second)), timeout=60,
                 what="both workers consuming")
        apps = [send_with_the_sdk(hot.keys.first().dsn(server.url), HOT)]
        apps += [send_with_the_sdk(project.keys.first().dsn(server.url), CALM) for project in calm[:2]]
        try:
            assert first.wait_exit(timeout=180) == 99, first.tail()
        except subprocess.TimeoutExpired:
            os.kill(first.proc.pid, signal.SIGUSR1)  # Celery's "cry" handler logs every thread's stack
            time.sleep(2)
            pytest.fail(f"the first worker never reached its first commit; pending {pending(cluster_client)}, "
                        f"stored {ErrorEvent.objects.count()}, apps running {[a.poll() is None for a in apps]}\n"
                        f"consumers {consumers(cluster_client)}\n{first.log_path.read_text(errors='replace')[-60000:]}")
        # More events after the death, so the run goes on without the first worker whenever it died.
        apps.append(send_with_the_sdk(calm[2].keys.first().dsn(server.url), CALM))
        reports = [json.loads(app.communicate(timeout=180)[0]) for app in apps]
        sent = {event_id for report in reports for event_id in report["sent"]}
        assert len(sent) == HOT + 3 * CALM and not any(report["disabled"] for report in reports)  # none refused
        wait_for(lambda: ErrorEvent.objects.count() >= len(sent) and pending(cluster_client) == 0, timeout=180,
                 what="every event digested")
    finally:
        server.stop()
        first.stop()
        second.stop()

    stored = list(ErrorEvent.objects.values_list("event_id", "stream_id"))
    assert len(stored) == len(sent) and {event_id for event_id, _ in stored} == sent
    partitions = {stream.parse_message_ref(ref)[1] for _, ref in stored}
    nodes = {cluster_client.get_node_from_key(stream.in_partition(stream.EVENTS, p)).port for p in partitions}
    assert len(partitions) == PARTITIONS and len(nodes) == 3  # the hot project spread over every partition and node
    assert sum(ErrorGroup.objects.values_list("event_count", flat=True)) == len(sent)
    minute = counters.minute_of(timezone.now())
    hot_counts = counters.hot_minute_counts(cluster_client, [minute - 60 * i for i in range(10)])
    assert sum(n for counts in hot_counts.values() for n in counts.values()) == len(sent)


def test_a_flag_kill_reaches_an_ofrep_client_and_the_change_stream_through_the_cluster(cluster_env, project, alice):
    flag = make_flag(project, "new-checkout")
    _, token = triggers.create_trigger(flag, "production", label="alertmanager", actor=alice, source="dashboard")
    key = make_sdk_key(project)
    server = LiveServer(**cluster_env)
    api.set_provider(OFREPProvider(server.url, headers_factory=lambda: {"Authorization": f"Bearer {key}"}, timeout=5),
                     "cluster")
    client = api.get_client("cluster")
    user = EvaluationContext(targeting_key="user-42")
    events, connected = [], threading.Event()

    def listen(url):
        with requests.get(url, stream=True, timeout=20) as response:
            for line in response.iter_lines():
                if line.startswith(b": connected"):
                    connected.set()
                if line.startswith(b"data: "):
                    events.append(json.loads(line[6:]))
                    return

    try:
        assert client.get_boolean_value("new-checkout", False, user) is True
        bulk = requests.post(f"{server.url}/ofrep/v1/evaluate/flags", json={"context": {"targetingKey": "u1"}},
                             headers={"Authorization": f"Bearer {key}"}, timeout=5)
        listener = threading.Thread(target=listen, args=(bulk.json()["eventStreams"][0]["url"],), daemon=True)
        listener.start()
        assert connected.wait(20), "the change stream never opened"

        assert requests.post(triggers.trigger_url(token, server.url), timeout=5).json()["disabled"] is True

        assert client.get_boolean_value("new-checkout", True, user) is False
        listener.join(20)
        assert events and (events[0]["flag"], events[0]["action"]) == ("new-checkout", "disabled")
    finally:
        api.clear_providers()
        server.stop()


def test_the_readers_add_up_the_partitions_on_the_cluster(cluster_client, tunables, project):
    """What the pages, the health endpoint and the flag reports read, on a cluster with its
    commands' slot rules: the union of a group's users over partitions on different nodes, the
    health and dead letters over every partition, exposures of one project, log-tail announcements."""
    from flags import exposures
    from triage import health
    from triage.logs import tail
    from triage.stream import dead_letters

    tunables["STREAM_PARTITIONS"] = PARTITIONS
    for p in range(PARTITIONS):
        cluster_client.pfadd(counters.users_key(7, p), f"user-{p}", "everyone")
    assert counters.users_affected(cluster_client, [7, 8]) == {7: PARTITIONS + 1, 8: 0}

    name = stream.in_partition(stream.EVENTS, 5)
    stream.ensure_group(cluster_client, name)
    message_id = cluster_client.xadd(name, stream.IngestMessage(project.id, "e1", 0.0, b"{}").to_fields())
    [(_, fields)] = stream.read_new(cluster_client, name, "reader", 10, 10)
    stream.dead_letter(cluster_client, name, message_id, fields, "poison")  # one MULTI in the partition's slot
    assert health.read_health(cluster_client, 0).streams[0].dead_letters == 1
    [letter] = dead_letters.list_dead_letters(cluster_client, dead_letters.Selection())
    assert (letter.original_id, letter.id.endswith("@5")) == (message_id.decode(), True)
    assert dead_letters.replay_dead_letters(cluster_client, dead_letters.Selection.parse(ids=[letter.id])) == 1
    assert cluster_client.xlen(name) == 1

    now = timezone.now().timestamp()
    exposures.record_evaluations(cluster_client, project.id, "production", [("new-checkout", "on")], now, targeting_key="u1")
    exposed = exposures.exposed_users(cluster_client, project.id, "production", "new-checkout", ["on"], now - 60, now, {"u1"})
    assert exposed == {"on": (1, 1)}
    tail.announce(cluster_client, {project.id})  # PUBLISH outside a pipeline: no error
