"""Template context for every page: the pipeline's health for the footer, and the user's saved
views for the nav.

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


def saved_views(request) -> dict:
    """The nav's saved views, read only where the nav renders them (one query)."""

    def views():
        from triage.saved_views import views_for

        user = getattr(request, "user", None)
        return list(views_for(user)) if user is not None and user.is_authenticated else []

    return {"saved_views_nav": views}
