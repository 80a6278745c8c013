"""Typed readers for settings from the environment.

Each helper rejects a malformed value with ImproperlyConfigured at start-up, so a typo in a
deployment fails loudly instead of silently falling back to a default.
"""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int | None, minimum: int = 0) -> int | None:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str, debug: bool) -> str:
    """A secret is required outside debug mode: there is no default secret in production."""
    value = os.environ.get(name, "")
    if value:
        return value
    if debug:
        # Only the local run command turns DEBUG on; it also writes a real random key, so this
        # placeholder is reached by `manage.py` one-offs in a checkout, never by a deployment.
        return "insecure-local-development-key-not-for-production"
    raise ImproperlyConfigured(f"{name} must be set when DEBUG is off")
