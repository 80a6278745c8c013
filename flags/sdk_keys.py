"""SDK keys: the bearer keys OFREP clients send, one project and environment each.

Only a key's SHA-256 is stored. Lookups on the OFREP hot path go through a config.edge.HotKeyCache,
as ingest's DSN keys do: a per-process memo that lives KEY_CACHE_SECONDS (so a revoked key is
refused everywhere within a second), a Redis hash shared by all processes (written on commit of
every create and revoke), and the database when Redis has no entry.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from config.edge import HotKeyCache
from config.redis_clients import redis_client
from flags import audit
from flags.cache import RAW_PREFIX
from flags.models import SdkKey, SdkKeyKind
from flags.ofrep.sse import REVOKED_CHANNEL
from flags.validation import InvalidChange, validate_environment

log = logging.getLogger(__name__)

PREFIXES = {SdkKeyKind.SERVER: "sysrv_", SdkKeyKind.CLIENT: "sycli_"}
KEYS_HASH = f"{RAW_PREFIX}:sdk-keys"


@dataclass(frozen=True)
class KeyInfo:
    key_id: int
    project_id: int
    environment: str
    kind: str

    def encode(self) -> str:
        return f"{self.key_id}:{self.project_id}:{self.kind}:{self.environment}"

    @classmethod
    def decode(cls, raw: bytes) -> KeyInfo:
        key_id, project_id, kind, environment = raw.decode().split(":", 3)
        return cls(int(key_id), int(project_id), environment, kind)


def hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def new_plaintext(kind: str) -> str:
    return PREFIXES[kind] + secrets.token_urlsafe(32)


def create_sdk_key(project, environment: str, *, kind: str = SdkKeyKind.SERVER, label: str = "", actor=None,
                   source: str, plaintext: str | None = None) -> tuple[SdkKey, str]:
    """Creates a key and returns it with its plaintext, which is never stored or shown again.

    `plaintext` is for the demo key only (flags.demo), which is derived rather than random.
    """
    validate_environment(environment)
    if kind not in PREFIXES:
        raise InvalidChange(f"unknown key kind {kind!r} (server or client)")
    plaintext = plaintext or new_plaintext(kind)
    with transaction.atomic():
        key = SdkKey.objects.create(project=project, environment=environment, kind=kind, label=label[:100],
                                    key_hash=hash_key(plaintext), prefix=plaintext[:12], created_by=actor)
        audit.record(project=project, flag=None, action="sdk_key_created", source=source, actor=actor,
                     environment=environment, after=_snapshot(key))
        transaction.on_commit(partial(_publish, key))
    return key, plaintext


def revoke_sdk_key(key: SdkKey, *, actor, source: str, now=None) -> SdkKey:
    """Idempotent: revoking a revoked key changes nothing and writes no audit row."""
    with transaction.atomic():
        key = SdkKey.objects.select_for_update().get(pk=key.pk)
        if key.revoked_at is None:
            before = _snapshot(key)
            key.revoked_at = now or timezone.now()
            key.save(update_fields=["revoked_at"])
            audit.record(project=key.project, flag=None, action="sdk_key_revoked", source=source, actor=actor,
                         environment=key.environment, before=before, after=_snapshot(key))
            transaction.on_commit(partial(_publish, key))
    return key


def _snapshot(key: SdkKey) -> dict:
    return {"id": key.id, "prefix": key.prefix, "kind": key.kind, "label": key.label, "revoked": not key.is_active}


def _publish(key: SdkKey) -> None:
    info = KeyInfo(key.id, key.project_id, key.environment, key.kind).encode() if key.is_active else None
    try:
        redis = redis_client()
        sdk_key_cache.publish(redis, key.key_hash, info)
        if info is None:
            redis.publish(REVOKED_CHANNEL, key.id)  # open change streams of the key close
    except Exception:
        # Lookups fall back to the database on a miss, and per-process memos expire in a second;
        # a revoked key stays cached as valid in Redis until the next publish, so say so loudly.
        log.exception("could not publish SDK key %s to Redis", key.prefix)


def key_is_active(key_id: int) -> bool:
    """For change streams opened with a signed URL, which names the key but cannot know it was
    revoked since."""
    return SdkKey.objects.active().filter(id=key_id).exists()


def _info_in_db(digest: str) -> str | None:
    row = SdkKey.objects.active().filter(key_hash=digest).values_list("id", "project_id", "environment", "kind").first()
    return KeyInfo(row[0], row[1], row[2], row[3]).encode() if row else None


sdk_key_cache = HotKeyCache(KEYS_HASH, _info_in_db, ttl=lambda: settings.SWITCHYARD["KEY_CACHE_SECONDS"])


MAX_KEY_LENGTH = 100  # ours are 49 characters; anything much longer is refused unhashed


def well_formed(plaintext: str) -> bool:
    return len(plaintext) <= MAX_KEY_LENGTH and plaintext.startswith(tuple(PREFIXES.values()))


def key_info(plaintext: str, redis=None, now: float | None = None) -> KeyInfo | None:
    """The project, environment and kind of an active key; None for unknown or revoked keys.
    A malformed key is refused before any lookup, so it costs no Redis entry and no query."""
    if not well_formed(plaintext):
        return None
    raw = sdk_key_cache.get(redis or redis_client(), hash_key(plaintext), now)
    return KeyInfo.decode(raw) if raw else None
