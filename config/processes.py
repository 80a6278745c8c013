"""How Switchyard's processes are started: one place for the run command, the live test stack
and the benchmarks, so a server option (say, a graceful-shutdown timeout for open event
streams) is set once for all of them."""

from __future__ import annotations

import socket
import sys
import time
import urllib.request
from collections.abc import Callable

ASGI_APP = "config.asgi:application"


def free_port(preferred: int = 0) -> int:
    """`preferred` when it is free, else any free port on the loopback."""
    for port in (preferred, 0) if preferred else (0,):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return s.getsockname()[1]
            except OSError:
                continue
    raise RuntimeError("no free port")


def web_command(port: int, *options: str) -> list[str]:
    """uvicorn serving config.asgi. Open event streams never end on their own: the graceful
    shutdown timeout keeps them from holding up a stop (clients reconnect)."""
    return [sys.executable, "-m", "uvicorn", ASGI_APP, "--host", "127.0.0.1", "--port", str(port),
            "--no-access-log", "--log-level", "warning", "--timeout-graceful-shutdown", "5", *options]


def worker_command(*options: str, quiet: bool = False) -> list[str]:
    """A Celery worker; its bootstep runs the stream consumers (triage.stream.worker). `quiet` is a
    global celery option, so it goes before the `worker` sub-command."""
    return [sys.executable, "-m", "celery", "-A", "config", *(["--quiet"] if quiet else []), "worker", *options]


def beat_command(*options: str, quiet: bool = False) -> list[str]:
    """Celery beat, the scheduler of the periodic tasks, as a process of its own: embedded in a
    worker (`worker -B`) it deadlocked after fork in 2 of 4 restarts of the run command."""
    return [sys.executable, "-m", "celery", "-A", "config", *(["--quiet"] if quiet else []), "beat", *options]


def wait_until_serving(url: str, timeout: float = 30, alive: Callable[[], bool] = lambda: True) -> None:
    """Polls the login page until the server answers; raises RuntimeError if it exits or never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"the server at {url} exited")
        try:
            urllib.request.urlopen(url + "/login/", timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the server at {url} did not start")
