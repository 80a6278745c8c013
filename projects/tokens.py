"""API tokens: created once and shown once, stored as a SHA-256, checked on every API call."""

from __future__ import annotations

import hashlib
import secrets

from projects.models import ApiToken

TOKEN_PREFIX = "sy_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user, label: str = "") -> str:
    """Returns the token once; only its hash is stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, label=label, token_hash=hash_token(token), prefix=token[:8])
    return token


def user_for_token(token: str):
    """The active user behind an unrevoked token, or None."""
    row = ApiToken.objects.select_related("user").filter(token_hash=hash_token(token), revoked_at__isnull=True).first()
    if row is None or not row.user.is_active:
        return None
    return row.user
