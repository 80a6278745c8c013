"""DSN key → project lookups for the ingest hot path.

Three levels: a per-process dict that lives KEY_CACHE_SECONDS (so a revoked key is refused
within a second everywhere), a Redis hash shared by all processes (written on every key save
or revoke), and the database when Redis has no entry (after a flush, or for an unknown key).
"""

from __future__ import annotations

import time

from asgiref.sync import sync_to_async

from triage.stream import PREFIX

KEYS_HASH = f"{PREFIX}:dsn-keys"
UNKNOWN = 0  # stored for keys the database does not know, so a flood of bad keys skips the DB


class KeyCache:
    def __init__(self, ttl: float):
        self.ttl = ttl
        self._local: dict[str, tuple[int, float]] = {}

    async def project_for(self, redis, public_key: str, now: float | None = None) -> int | None:
        """The project id of an active key, or None for an unknown or revoked key."""
        now = time.monotonic() if now is None else now
        hit = self._local.get(public_key)
        if hit and hit[1] > now:
            return hit[0] or None
        raw = await redis.hget(KEYS_HASH, public_key)
        if raw is None:
            project_id = await sync_to_async(project_for_key_in_db)(public_key) or UNKNOWN
            await redis.hset(KEYS_HASH, public_key, project_id)
        else:
            project_id = int(raw)
        if len(self._local) > 100_000:
            self._local.clear()  # bounded: random keys from a scanner must not grow memory
        self._local[public_key] = (project_id, now + self.ttl)
        return project_id or None


def project_for_key_in_db(public_key: str) -> int | None:
    from triage.models import ProjectKey

    row = ProjectKey.objects.active().filter(public_key=public_key).values_list("project_id", flat=True).first()
    return row


def publish_key(redis, public_key: str, project_id: int | None) -> None:
    """Called on commit of a key change: active keys map to their project, revoked ones to UNKNOWN."""
    redis.hset(KEYS_HASH, public_key, project_id or UNKNOWN)
