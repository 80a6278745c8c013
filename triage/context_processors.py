"""Template context for every page: the pipeline's health for the footer.

Lazy and cached: the template calls `pipeline_health` only where it renders the footer (for
logged-in users), and the answer is kept for a few seconds per process, so pages cost at most
one Redis round trip every CACHE_SECONDS, however many are served.
"""

from __future__ import annotations

import threading
import time

from config.redis_clients import redis_client
from triage.health import Health, current_health

CACHE_SECONDS = 5.0
_cached: tuple[float, Health] | None = None
_lock = threading.Lock()


def pipeline_health(request) -> dict:
    return {"pipeline_health": cached_health}


def cached_health() -> Health:
    global _cached
    now = time.monotonic()
    with _lock:
        if _cached is not None and now - _cached[0] < CACHE_SECONDS:
            return _cached[1]
    health = current_health(redis_client())
    with _lock:
        _cached = (now, health)
    return health
