"""The fields the pipeline indexes, read from an event as any Sentry SDK sends it.

Tolerant by design: SDKs differ (RFC 3339 or epoch timestamps, tags as a dict or a list of pairs,
explicit nulls), and an odd field must never make an event undeliverable.
"""

from __future__ import annotations

import datetime as dt
import re
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
    tags: tuple[tuple[str, str], ...] = ()  # triage.digest.tags


def event_fields(event: dict, received_at: dt.datetime) -> EventFields:
    from triage.digest.tags import event_tags  # it cleans values with this module's clean()

    contexts = _dict(event.get("contexts"))
    level, user_key = _level(event.get("level")), _user_key(_dict(event.get("user")))
    return EventFields(
        timestamp=parse_timestamp(event.get("timestamp"), received_at),
        level=level,
        release=_text(event.get("release"), 200),
        # The SDK defaults to "production"; an event with none is treated the same way.
        environment=_text(event.get("environment"), 64) or "production",
        user_key=user_key,
        trace_id=_text(_dict(contexts.get("trace")).get("trace_id"), 64),
        flags=_flags(_dict(contexts.get("flags")).get("values")),
        tags=event_tags(event, level, user_key),
    )


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _text(value, limit: int) -> str:
    if value is None:
        return ""
    return clean(str(value)[:limit])


# A lone surrogate ("\ud800", from the JSON escape an SDK or json.dumps writes for it) cannot be
# encoded as UTF-8, so psycopg refuses it and the whole batch failed until the message was
# dead-lettered (issue 8). Inside a Python str every surrogate code point is a lone one: the JSON
# parsers join a valid escaped pair into one astral character.
_SURROGATES = re.compile("[\ud800-\udfff]")


def clean(text: str) -> str:
    """Text PostgreSQL can store: NUL dropped, lone surrogates replaced with U+FFFD.

    The hot path (the worker cleans a dozen fields per event at ~2,000 events/s) costs one
    `in` and one `isascii`, both in C; the regex runs only on non-ASCII text.
    """
    if "\x00" in text:
        text = text.replace("\x00", "")
    if text.isascii() or _SURROGATES.search(text) is None:
        return text
    return _SURROGATES.sub("\ufffd", text)


def clean_json(value):
    """`clean` over every string (and key) of a JSON-like value; tuples become lists."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    if isinstance(value, dict):
        return {clean(str(k)): clean_json(v) for k, v in value.items()}
    return value


# One escape of JSON text: a valid surrogate pair, a lone surrogate (the only group replaced),
# or any other escape. Matching every escape left to right consumes an escaped backslash whole,
# so the JSON text \\ud800 (a backslash, then "ud800") is never taken for a surrogate.
_JSON_ESCAPE = re.compile(r"\\(?:u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|(u[dD][89a-fA-F][0-9a-fA-F]{2})|.)", re.S)


def clean_payload(raw: bytes) -> str:
    """An event's JSON as text PostgreSQL can store and every reader can parse without meeting a
    lone surrogate: invalid UTF-8 and NUL become U+FFFD, lone surrogate escapes become "\\ufffd"."""
    text = raw.decode("utf-8", "replace")
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")  # raw NUL only; JSON text would carry "\\u0000"
    return clean_json_text(text)


def clean_json_text(text: str) -> str:
    """JSON text with every lone surrogate escape replaced by "\\ufffd"; valid pairs (emoji) are kept.

    Unless the text has an escape starting with \\ud (emoji do), the cost is two substring
    searches: ~2.5 µs for a 3.4 KB event, against the worker's ~500 µs per event.
    """
    if "\\ud" not in text and "\\uD" not in text:
        return text
    return _JSON_ESCAPE.sub(_replace_lone_surrogate, text)


def _replace_lone_surrogate(match: re.Match) -> str:
    return "\\ufffd" if match.group(1) else match.group(0)


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
