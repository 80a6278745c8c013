"""One log line's shape: a sentry-sdk log item (or a line of the logs endpoint, which the edge
turns into one) → the fields of a LogLine.

The item format: https://develop.sentry.dev/sdk/telemetry/logs/ — `timestamp` (seconds),
`level`, `body`, `trace_id`, `span_id`, and `attributes` of `{"value", "type"}`. Attributes are
stored flat (name → value); the well-known ones also get columns of their own to filter on.
"""

from __future__ import annotations

import datetime as dt

from triage.digest.normalize import clean, clean_json, parse_timestamp

LEVELS = ("trace", "debug", "info", "warn", "error", "fatal")
# Names other loggers use for the same severities (Python's logging, syslog, OpenTelemetry text).
LEVEL_ALIASES = {"warning": "warn", "critical": "fatal", "err": "error", "notice": "info",
                 "information": "info", "panic": "fatal", "emergency": "fatal", "alert": "fatal", "crit": "fatal"}
# As Relay: a line more than 30 days old or a minute ahead of its arrival is stored at its arrival
# (the original time is kept as an attribute), so a client's wrong clock cannot put lines in a
# partition retention already dropped, or one that does not exist yet.
MAX_PAST = dt.timedelta(days=30)
MAX_FUTURE = dt.timedelta(seconds=60)
ORIGINAL_TIMESTAMP = "switchyard.original_timestamp"
MAX_MESSAGE = 10_000


def level_name(value: object) -> str | None:
    """The level as one of LEVELS, or None when it names none."""
    name = str(value or "").strip().lower()
    name = LEVEL_ALIASES.get(name, name)
    return name if name in LEVELS else None


def flat_attributes(attributes: object) -> dict:
    """`{"k": {"value": v, "type": t}}` → `{"k": v}`; values sent bare stay as they are."""
    if not isinstance(attributes, dict):
        return {}
    return {str(k): v.get("value") if isinstance(v, dict) and "value" in v else v for k, v in attributes.items()}


def line_fields(item: dict, received: dt.datetime) -> dict:
    """The LogLine fields of one log item (project, stream id and position are the caller's)."""
    attributes = flat_attributes(item.get("attributes"))

    def text(name: str, limit: int) -> str:
        value = attributes.get(name)
        return clean(str(value)[:limit]) if value is not None else ""

    timestamp = parse_timestamp(item.get("timestamp"), received)
    if not received - MAX_PAST <= timestamp <= received + MAX_FUTURE:
        attributes[ORIGINAL_TIMESTAMP] = timestamp.isoformat()
        timestamp = received
    return {
        "timestamp": timestamp,
        "level": level_name(item.get("level")) or "info",
        "message": clean(str(item.get("body") or "")[:MAX_MESSAGE]),
        "template": text("sentry.message.template", MAX_MESSAGE),
        "logger": text("logger.name", 200),
        "trace_id": _hex(item.get("trace_id"), 32),
        "span_id": _hex(item.get("span_id"), 16),
        "release": text("sentry.release", 200),
        "environment": text("sentry.environment", 64),
        "service": text("service.name", 200) or text("server.address", 200),
        "attributes": clean_json(attributes),
    }


def _hex(value: object, length: int) -> str:
    text = str(value or "").replace("-", "").lower()[:length]
    return text if all(c in "0123456789abcdef" for c in text) else ""
