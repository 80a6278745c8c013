"""The logs endpoint's body (`POST /api/<project>/logs/`): a JSON array, or NDJSON, of plain lines
`{timestamp, level, message, logger, trace_id, span_id, attributes}` → one message for the logs
stream, in the shape sentry-sdk sends its log items, so the digest has one path for both.

Every line is checked before anything is appended: a bad line refuses the request (400, naming
the line), so a refused request writes nothing. Plain functions, no I/O.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid

from config.edge import nested_deeper_than
from triage import jsonutil
from triage.edge.errors import IngestError
from triage.logs.lines import level_name
from triage.stream import IngestMessage

MAX_JSON_DEPTH = 256  # as for events (triage.edge.parsing)
MAX_LINES = 1000  # lines in one request: one stream message, so a request is appended whole or not at all
_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
_SPAN_ID = re.compile(r"^[0-9a-f]{16}$")
# Top-level conveniences, stored as the attributes sentry-sdk would send for them.
ATTRIBUTE_FOR = {"logger": "logger.name", "release": "sentry.release", "environment": "sentry.environment",
                 "service": "service.name"}


def logs_message(project_id: int, body: bytes, received_at: float) -> IngestMessage:
    """The stream message of a request's (decoded) body; IngestError 400 for any bad line."""
    lines = parse_lines(body)
    items = [sdk_item(line, number) for number, line in enumerate(lines, 1)]
    payload = json.dumps({"version": 2, "items": items}, separators=(",", ":")).encode()
    return IngestMessage(project_id, uuid.uuid4().hex, received_at, payload)


def parse_lines(body: bytes) -> list[dict]:
    """The lines of a JSON array or of NDJSON (one JSON object a line)."""
    text = body.lstrip()
    if text.startswith(b"["):
        lines = _loads(text, "the body")
        if not isinstance(lines, list):
            raise IngestError(400, "the body must be a JSON array of lines, or NDJSON")
    else:
        lines = [_loads(raw, f"line {n}") for n, raw in enumerate(text.split(b"\n"), 1) if raw.strip()]
    if not lines:
        raise IngestError(400, "the body has no log lines")
    if len(lines) > MAX_LINES:
        raise IngestError(400, f"a request carries at most {MAX_LINES} lines")
    return lines


def _loads(raw: bytes, what: str):
    try:
        value = jsonutil.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise IngestError(400, f"{what} is not valid JSON") from None
    if raw.count(b"{") + raw.count(b"[") > MAX_JSON_DEPTH and nested_deeper_than(value, MAX_JSON_DEPTH):
        raise IngestError(400, f"{what} nests deeper than {MAX_JSON_DEPTH} levels")
    return value


def sdk_item(line: object, number: int) -> dict:
    """One plain line → a sentry-sdk log item (https://develop.sentry.dev/sdk/telemetry/logs/)."""
    if not isinstance(line, dict):
        raise IngestError(400, f"line {number} must be a JSON object")
    message = line.get("message")
    if not isinstance(message, str) or not message:
        raise IngestError(400, f"line {number}: message must be a non-empty string")
    level = level_name(line.get("level", "info"))
    if level is None:
        raise IngestError(400, f"line {number}: level must be one of trace, debug, info, warn, error, fatal")
    attributes = line.get("attributes", {})
    if not isinstance(attributes, dict):
        raise IngestError(400, f"line {number}: attributes must be a JSON object")
    item = {"timestamp": _timestamp(line.get("timestamp"), number), "level": level, "body": message,
            "attributes": {str(k): _typed(v) for k, v in attributes.items()}}
    for name, attribute in ATTRIBUTE_FOR.items():
        value = line.get(name)
        if value is not None:
            if not isinstance(value, str):
                raise IngestError(400, f"line {number}: {name} must be a string")
            item["attributes"][attribute] = _typed(value)
    for name, pattern, digits in (("trace_id", _TRACE_ID, 32), ("span_id", _SPAN_ID, 16)):
        value = line.get(name)
        if value is not None:
            value = value.replace("-", "").lower() if isinstance(value, str) else ""
            if not pattern.match(value):
                raise IngestError(400, f"line {number}: {name} must be {digits} hexadecimal digits")
            item[name] = value
    return item


def _timestamp(value: object, number: int) -> float | None:
    """Seconds since the epoch, from a number or an ISO 8601 string; None (arrival time) when absent."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 1e11:
        return float(value)
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).timestamp()
        except ValueError:
            pass
    raise IngestError(400, f"line {number}: timestamp must be seconds since the epoch or an ISO 8601 time")


def _typed(value: object) -> dict:
    """An attribute as sentry-sdk types it; other JSON (lists, objects) travels as its text."""
    if isinstance(value, bool):
        return {"value": value, "type": "boolean"}
    if isinstance(value, int):
        return {"value": value, "type": "integer"}
    if isinstance(value, float):
        return {"value": value, "type": "double"}
    if isinstance(value, str):
        return {"value": value, "type": "string"}
    return {"value": json.dumps(value), "type": "string"}
