"""Throttles: at most `count` hits per key in a window, counted in the Django cache (Redis).

Used for failed logins (projects.login) and trigger URLs (flags.views.hooks). A window opens
with its first hit and closes `seconds` later, whatever happens in between: a key that reached
its count stays refused until then. Keys are hashed, so secrets and user input never become
Redis key names.

Small on purpose: django-ratelimit counts every request (not failures), cannot reset a count on
success, and django-axes keeps its own database tables.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Throttle:
    name: str
    count: int
    seconds: int

    def _key(self, value: str) -> str:
        digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return f"throttle:{self.name}:{digest}"

    def retry_after(self, value: str) -> int:
        """Seconds until `value` may try again; 0 when it is not refused."""
        key = self._key(value)
        hits = cache.get(key, 0)
        if hits < self.count:
            return 0
        ttl = cache.ttl(key) if hasattr(cache, "ttl") else None  # django-redis; other caches: a full window
        return max(1, ttl) if isinstance(ttl, int) and ttl > 0 else self.seconds

    def hit(self, value: str) -> int:
        """Counts one hit for `value` in its window; returns the hits so far."""
        key = self._key(value)
        cache.add(key, 0, self.seconds)
        try:
            return cache.incr(key)
        except ValueError:  # the window closed between add and incr: this hit opens the next one
            cache.add(key, 1, self.seconds)
            return 1

    def reset(self, value: str) -> None:
        cache.delete(self._key(value))


def client_address(request) -> str:
    """The client's address as the ASGI server reports it. uvicorn takes it from X-Forwarded-For
    when the request comes from a trusted proxy (127.0.0.1, or --forwarded-allow-ips); reading
    the header here instead would let any client pick a new address per request."""
    return request.META.get("REMOTE_ADDR") or "unknown"
