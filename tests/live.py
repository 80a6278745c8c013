"""Real processes for integration tests: the ASGI server (uvicorn + config.asgi) and a Celery
worker, both on this test run's database and Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

from config.processes import free_port, wait_until_serving, web_command, worker_command

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """The URL of the test database pytest-django created, for the child processes."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def child_env(**extra) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings_test",
        DATABASE_URL=database_url(),
        REDIS_URL=settings.REDIS_URL,
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        SWITCHYARD_CLAIM_IDLE_MS="1000",
        SWITCHYARD_BLOCK_MS="200",
        SWITCHYARD_ALERT_RETRY_BACKOFF_SECONDS="1",  # retries after 0-1 s, then 0-2 s
        SWITCHYARD_ALERT_RULES_CACHE_SECONDS="0",  # a rule a test makes applies to the next batch
        PYTHONUNBUFFERED="1",
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Process:
    def __init__(self, args: list[str], env: dict[str, str], log_name: str):
        log_dir = ROOT / "test-artifacts"
        log_dir.mkdir(exist_ok=True)
        self.log_path = log_dir / f"{log_name}.log"
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout: float = 20) -> int:
        if self.alive():
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.log.close()
        return self.proc.returncode

    def wait_exit(self, timeout: float) -> int:
        return self.proc.wait(timeout)

    def tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


class LiveServer(Process):
    def __init__(self, **env):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__(web_command(self.port), child_env(SWITCHYARD_BASE_URL=self.url, **env), "server")
        try:
            wait_until_serving(self.url, alive=self.alive)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}:\n{self.tail()}") from None


class LiveWorker(Process):
    def __init__(self, name: str = "worker", **env):
        args = worker_command("--pool=solo", "--concurrency=1", "--without-gossip", "--without-mingle",
                              "--without-heartbeat", "-n", f"{name}@%h", "--loglevel=INFO")
        super().__init__(args, child_env(**env), name)


def wait_for(predicate, timeout: float = 20, interval: float = 0.05, what: str = "condition"):
    """Polls until predicate() is truthy; fails the test with `what` if it never is."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


def with_redis_db(offset: int) -> dict[str, str]:
    """REDIS_URL and CELERY_BROKER_URL for another database of the same Redis server, `offset`
    after this run's, so a test's workers see none of the session worker's stream (and two runs
    on different databases of one server keep apart)."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit  # noqa: I001

    parts = urlsplit(settings.REDIS_URL)
    current = int(dict(parse_qsl(parts.query)).get("db", 0)) if parts.scheme == "unix" else int(parts.path.strip("/") or 0)
    db = (current + offset) % 16
    if parts.scheme == "unix":
        query = dict(parse_qsl(parts.query), db=str(db))
        redis_url = f"unix://{parts.path}?{urlencode(query)}"
        broker = f"redis+socket://{parts.path}?virtual_host={db}"
    else:
        redis_url = urlunsplit(parts._replace(path=f"/{db}"))
        broker = redis_url
    return {"REDIS_URL": redis_url, "CELERY_BROKER_URL": broker}
