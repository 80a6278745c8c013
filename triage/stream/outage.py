"""Infrastructure failure is not bad input: which errors mean "the database or Redis is away", and
the per-consumer record of such an outage.

An outage must not spend the deliveries of the messages in hand: before this module, a 5-minute
database outage dead-lettered every event accepted during it (each failed write counted as a
delivery, and XAUTOCLAIM bumped the count again every CLAIM_IDLE_MS). A consumer that hits one
of these errors keeps its batch in memory and retries it with backoff (triage.stream.consumer);
only the other errors, found by retrying a batch one message at a time, count toward
dead-lettering. The outage is logged once when it begins and once when it ends, and recorded in
Redis for the health endpoint (triage.health).
"""

from __future__ import annotations

import json
import logging
import threading
import time

import redis
from django import db

from triage.stream import PREFIX

log = logging.getLogger(__name__)

OUTAGES = f"{PREFIX}:health:outages"  # consumer name → JSON {since, seen, stream, kind}

_INFRASTRUCTURE: tuple[type[BaseException], ...] = (
    db.OperationalError,  # unreachable, restarting, lock and statement timeouts, deadlocks
    db.InterfaceError,  # a connection closed under us
    redis.ConnectionError,  # includes BusyLoadingError (Redis restarting)
    redis.TimeoutError,
    redis.exceptions.ReadOnlyError,  # a replica promoted mid-failover
    redis.exceptions.OutOfMemoryError,  # maxmemory reached: it passes once the backlog drains
    ConnectionError,
    TimeoutError,
)
try:
    import psycopg

    _INFRASTRUCTURE += (psycopg.OperationalError, psycopg.InterfaceError)  # raised outside Django's wrapper
except ImportError:  # pragma: no cover - SQLite-only installs
    pass


def is_infrastructure_error(exc: BaseException) -> bool:
    """True when `exc` (or what it was raised from) says a service is unavailable, not that the
    message is bad. Anything else is blamed on the message."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, _INFRASTRUCTURE):
            return True
        exc, seen = exc.__cause__, seen + 1
    return False


def kind_of(exc: BaseException) -> str:
    return "redis" if isinstance(exc, redis.RedisError) else "database"


class Outage:
    """The outage state of one consumer, shared by its reader and writer threads.

    Each retry loop reports under a `site` ("read", "write"); the outage lasts while any site is
    failing, so the reader reaching Redis does not end an outage the writer still sees."""

    def __init__(self, client, consumer: str, stream_name: str):
        self.redis = client
        self.consumer = consumer
        self.stream = stream_name
        self._failing: set[str] = set()
        self._since = 0.0
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        return bool(self._failing)

    def failing(self, site: str) -> bool:
        return site in self._failing

    def failed(self, site: str, exc: BaseException, held: int, now: float | None = None) -> None:
        """Logs the start of an outage (once), and refreshes its record in Redis on every retry."""
        now = time.time() if now is None else now
        with self._lock:
            began = not self._failing
            self._failing.add(site)
            if began:
                self._since = now
        if began:
            log.error("%s unreachable: consumer %s on %s holds %d message%s and retries with backoff (%s: %s)",
                      kind_of(exc), self.consumer, self.stream, held, "" if held == 1 else "s",
                      type(exc).__name__, _first_line(exc))
        record = {"since": self._since, "seen": now, "stream": self.stream, "kind": kind_of(exc)}
        self._best_effort(self.redis.hset, OUTAGES, self.consumer, json.dumps(record))

    def recovered(self, site: str, now: float | None = None) -> None:
        with self._lock:
            if site not in self._failing:
                return
            self._failing.discard(site)
            ended = not self._failing
        if ended:
            seconds = (time.time() if now is None else now) - self._since
            log.warning("outage over after %.0f s: consumer %s on %s resumes", seconds, self.consumer, self.stream)
            self._best_effort(self.redis.hdel, OUTAGES, self.consumer)

    def _best_effort(self, command, *args) -> None:
        try:
            command(*args)
        except redis.RedisError:
            pass  # Redis is what is away: the health endpoint says so by failing to reach it


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else ""
