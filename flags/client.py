"""In-process flag evaluation, a library surface for Django code that runs beside Switchyard (a
plugin, a management command of your own): `flag_enabled(project_id, key)` reads the same
configuration, cache and evaluator as the OFREP endpoints, without HTTP, and flags.testing's
overrides apply to it. Switchyard's own request paths evaluate through OFREP, not through this."""

from __future__ import annotations

from typing import Any

from flags import cache
from flags.evaluation import Resolution, evaluate

_overrides: dict[str, Any] = {}  # flag key → value, set by flags.testing.override_flag


def resolve(project_id: int, key: str, environment: str = "production", context: dict | None = None) -> Resolution | None:
    """The resolution of a flag, or None when the project has no such flag."""
    if key in _overrides:
        return Resolution(_overrides[key], "STATIC", "override", {})
    flag = cache.load(project_id, environment).flags.get(key)
    return evaluate(flag, context or {}) if flag is not None else None


def flag_value(project_id: int, key: str, default: Any, environment: str = "production", context: dict | None = None) -> Any:
    """The flag's value, or `default` when the flag is unknown or cannot be evaluated."""
    resolution = resolve(project_id, key, environment, context)
    if resolution is None or resolution.error_code:
        return default
    return resolution.value


def flag_enabled(project_id: int, key: str, environment: str = "production", context: dict | None = None) -> bool:
    """True when a boolean flag evaluates to True; False for anything else, unknown flags included."""
    return flag_value(project_id, key, False, environment, context) is True
