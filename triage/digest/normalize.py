"""The fields the pipeline indexes, read from an event as any Sentry SDK sends it.

Tolerant by design: SDKs differ (RFC 3339 or epoch timestamps, tags as a dict or a list of pairs,
explicit nulls), and an odd field must never make an event undeliverable.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

LEVELS = {"fatal", "error", "warning", "info", "debug"}
MAX_FLAGS = 100


@dataclass(frozen=True)
class EventFields:
    timestamp: dt.datetime
    level: str
    release: str
    environment: str
    user_key: str
    trace_id: str
    flags: dict[str, str] = field(default_factory=dict)


def event_fields(event: dict, received_at: dt.datetime) -> EventFields:
    contexts = _dict(event.get("contexts"))
    return EventFields(
        timestamp=parse_timestamp(event.get("timestamp"), received_at),
        level=_level(event.get("level")),
        release=_text(event.get("release"), 200),
        # The SDK defaults to "production"; an event with none is treated the same way.
        environment=_text(event.get("environment"), 64) or "production",
        user_key=_user_key(_dict(event.get("user"))),
        trace_id=_text(_dict(contexts.get("trace")).get("trace_id"), 64),
        flags=_flags(_dict(contexts.get("flags")).get("values")),
    )


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _text(value, limit: int) -> str:
    if value is None:
        return ""
    return clean(str(value)[:limit])


def clean(text: str) -> str:
    """PostgreSQL text and jsonb cannot hold NUL; an SDK can send one, so it never reaches them."""
    return text.replace("\x00", "") if "\x00" in text else text


def clean_json(value):
    """`clean` over every string of a JSON-like value."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    if isinstance(value, dict):
        return {clean(str(k)): clean_json(v) for k, v in value.items()}
    return value


def _level(value) -> str:
    level = str(value).lower() if value is not None else "error"
    return "warning" if level == "warn" else level if level in LEVELS else "error"


def parse_timestamp(value, received_at: dt.datetime) -> dt.datetime:
    try:
        if isinstance(value, int | float):
            return dt.datetime.fromtimestamp(float(value), tz=dt.UTC)
        if isinstance(value, str) and value:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    except (ValueError, OverflowError, OSError):
        pass
    return received_at


def _user_key(user: dict) -> str:
    for name in ("id", "email", "username", "ip_address"):
        value = user.get(name)
        if value not in (None, ""):
            return clean(f"{name}:{value}"[:200])
    return ""


def _flags(values) -> dict[str, str]:
    """contexts.flags.values[] = {flag, result} → {key: value as text}, the last evaluation winning.

    Values are kept as text ("true", "false", "blue") so booleans and variants share one index.
    """
    flags: dict[str, str] = {}
    if not isinstance(values, list):
        return flags
    for item in values[-MAX_FLAGS:]:
        if not isinstance(item, dict) or not isinstance(item.get("flag"), str):
            continue
        result = item.get("result")
        if isinstance(result, bool):
            text = "true" if result else "false"
        elif isinstance(result, str | int | float):
            text = str(result)
        else:
            continue
        flags[clean(item["flag"][:200])] = clean(text[:200])
    return flags
