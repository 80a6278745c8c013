"""DSN keys: create and revoke them, and look them up on the ingest hot path.

A DSN key maps to its project id through a config.edge.HotKeyCache (per-process memo, then a
Redis hash that triage.edge.signals keeps in step with the database, then the database).
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from config.edge import HotKeyCache
from triage.models import ProjectKey
from triage.stream import PREFIX

KEYS_HASH = f"{PREFIX}:dsn-keys"


def dsn_key_cache() -> HotKeyCache:
    """One per process (the ingest app keeps it); the memo lives KEY_CACHE_SECONDS."""
    return HotKeyCache(KEYS_HASH, _project_in_db, ttl=_memo_seconds)


def _memo_seconds() -> float:
    return settings.SWITCHYARD["KEY_CACHE_SECONDS"]


async def project_for_key(cache: HotKeyCache, redis, public_key: str, now: float | None = None) -> int | None:
    """The project id of an active key, or None for an unknown or revoked key."""
    raw = await cache.aget(redis, public_key, now)
    return int(raw) if raw else None


def _project_in_db(public_key: str) -> str | None:
    project_id = ProjectKey.objects.active().filter(public_key=public_key).values_list("project_id", flat=True).first()
    return str(project_id) if project_id else None


def publish_key(redis, public_key: str, project_id: int | None) -> None:
    """Active keys map to their project, revoked ones to unknown (called on commit)."""
    dsn_key_cache().publish(redis, public_key, str(project_id) if project_id else None)


def add_key(project, label: str = "Default") -> ProjectKey:
    return ProjectKey.objects.create(project=project, label=label or "Default")


def revoke_key(key: ProjectKey, now=None) -> ProjectKey:
    """Idempotent: revoking a revoked key keeps its first revocation time."""
    if key.revoked_at is None:
        key.revoked_at = now or timezone.now()
        key.save(update_fields=["revoked_at"])
    return key
