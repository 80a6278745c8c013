"""Ingest: the bytes a Sentry SDK posts → validated messages for the streams.

Plain functions, no I/O: the ASGI handler in triage.edge.asgi reads the request, calls these,
and appends what they return to Redis. Every refusal is an IngestError carrying the HTTP status a
Sentry client understands (400 malformed, 401 no or bad key, 403 wrong project, 413 too large).
"""

from __future__ import annotations

import re
import uuid
import zlib
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import brotli

from triage import jsonutil
from triage.stream import EVENTS, LOGS, IngestMessage

# Items we store; every other type (transaction, session, client_report, attachment, …) is
# accepted and dropped, never rejected: refusing one would make the SDK drop the whole envelope.
STREAM_FOR_ITEM = {"event": EVENTS, "log": LOGS}
RATE_LIMIT_CATEGORY = {EVENTS: "error;default", LOGS: "log_item"}
_HEX32 = re.compile(r"^[0-9a-f]{32}$")
_AUTH_PAIR = re.compile(r"(\w+)\s*=\s*([^,\s]+)")


class IngestError(Exception):
    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class Envelope:
    header: dict
    items: list[tuple[dict, bytes]]


# --- authentication ----------------------------------------------------------------------------


def public_key_from_auth_header(value: str) -> str | None:
    """`Sentry sentry_key=abc, sentry_version=7, …` → `abc`."""
    if not value:
        return None
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "sentry":
        return None
    pairs = dict(_AUTH_PAIR.findall(rest))
    return pairs.get("sentry_key") or None


def public_key_from_query(query_string: str) -> str | None:
    values = parse_qs(query_string).get("sentry_key")
    return values[0] if values else None


def public_key_from_dsn(dsn: object) -> str | None:
    if not isinstance(dsn, str) or not dsn:
        return None
    try:
        return urlsplit(dsn).username or None
    except ValueError:
        return None


# --- bodies --------------------------------------------------------------------------------------


def decompress(body: bytes, content_encoding: str, limit: int) -> bytes:
    """Undoes Content-Encoding (gzip, deflate, br, or a list of them) without ever holding more
    than `limit` bytes of output, so a decompression bomb costs us `limit` bytes, not its claim."""
    encodings = [e.strip().lower() for e in content_encoding.split(",") if e.strip()]
    for encoding in reversed(encodings):
        if encoding in ("gzip", "x-gzip"):
            body = _inflate(body, zlib.decompressobj(16 + zlib.MAX_WBITS), limit)
        elif encoding == "deflate":
            # HTTP "deflate" is zlib-wrapped, but some clients send raw deflate: accept both.
            wbits = zlib.MAX_WBITS if body[:1] == b"\x78" else -zlib.MAX_WBITS
            body = _inflate(body, zlib.decompressobj(wbits), limit)
        elif encoding == "br":
            body = _unbrotli(body, limit)
        elif encoding != "identity":
            raise IngestError(400, f"unsupported Content-Encoding {encoding!r}")
    if len(body) > limit:
        raise IngestError(413, f"body is over {limit} bytes")
    return body


def _inflate(body: bytes, decompressor, limit: int) -> bytes:
    try:
        out = decompressor.decompress(body, limit + 1)
    except zlib.error as exc:
        raise IngestError(400, f"bad compressed body: {exc}") from None
    if len(out) > limit:
        raise IngestError(413, f"decompressed body is over {limit} bytes")
    if not decompressor.eof:
        raise IngestError(400, "bad compressed body: truncated")
    return out


def _unbrotli(body: bytes, limit: int) -> bytes:
    decompressor = brotli.Decompressor()
    try:
        out = decompressor.process(body, output_buffer_limit=limit + 1)
    except brotli.error as exc:
        raise IngestError(400, f"bad brotli body: {exc}") from None
    if len(out) > limit or not decompressor.can_accept_more_data():
        raise IngestError(413, f"decompressed body is over {limit} bytes")
    if not decompressor.is_finished():
        raise IngestError(400, "bad brotli body: truncated")
    return out


# --- envelopes -------------------------------------------------------------------------------------


def parse_envelope(body: bytes) -> Envelope:
    """Splits an envelope into its header and (item header, payload) pairs.

    Items with a `length` are read by length; items without one run to the next newline.
    """
    newline = body.find(b"\n")
    header = _json_object(body if newline < 0 else body[:newline], "envelope header")
    pos = len(body) if newline < 0 else newline + 1
    items = []
    while pos < len(body):
        end = body.find(b"\n", pos)
        line = body[pos:] if end < 0 else body[pos:end]
        pos = len(body) if end < 0 else end + 1
        if not line.strip():
            continue
        item_header = _json_object(line, "item header")
        length = item_header.get("length")
        if length is None:
            end = body.find(b"\n", pos)
            end = len(body) if end < 0 else end
            payload, pos = body[pos:end], end + 1
        else:
            if not isinstance(length, int) or length < 0 or pos + length > len(body):
                raise IngestError(400, "item length runs past the end of the envelope")
            payload, pos = body[pos : pos + length], pos + length
            if pos < len(body) and body[pos : pos + 1] == b"\n":
                pos += 1
        items.append((item_header, payload))
    return Envelope(header, items)


def _json_object(raw: bytes, what: str) -> dict:
    try:
        value = jsonutil.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise IngestError(400, f"{what} is not valid JSON") from None
    if not isinstance(value, dict):
        raise IngestError(400, f"{what} must be a JSON object")
    return value


def normalise_event_id(value: object) -> str | None:
    """32 lowercase hex digits, as the SDK sends them; UUIDs with dashes are accepted too."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise IngestError(400, "event_id must be a string")
    candidate = value.replace("-", "").lower()
    if not _HEX32.match(candidate):
        raise IngestError(400, "event_id must be 32 hexadecimal digits")
    return candidate


def event_message(project_id: int, payload: bytes, fallback_id: object, received_at: float, max_bytes: int):
    """Validates one event payload and wraps it for the events stream."""
    if len(payload) > max_bytes:
        raise IngestError(413, f"event is over {max_bytes} bytes")
    event = _json_object(payload, "event")
    event_id = normalise_event_id(event.get("event_id")) or normalise_event_id(fallback_id) or uuid.uuid4().hex
    return IngestMessage(project_id, event_id, received_at, payload)


def envelope_messages(project_id: int, envelope: Envelope, received_at: float, max_event_bytes: int):
    """(stream, message) pairs to append, and the event id to answer with."""
    header_id = normalise_event_id(envelope.header.get("event_id"))
    messages = []
    for item_header, payload in envelope.items:
        stream = STREAM_FOR_ITEM.get(item_header.get("type"))
        if stream == EVENTS:
            message = event_message(project_id, payload, header_id, received_at, max_event_bytes)
            header_id = header_id or message.event_id
        elif stream == LOGS:
            _json_object(payload, "log item")
            message = IngestMessage(project_id, uuid.uuid4().hex, received_at, payload)
        else:
            continue
        messages.append((stream, message))
    return messages, header_id


def rate_limit_header(streams: list[str], retry_after: int) -> str:
    categories = sorted({RATE_LIMIT_CATEGORY[s] for s in streams})
    # Integer seconds: sentry-sdk's parser calls int() and silently ignores "60.0".
    return ",".join(f"{retry_after}:{c}:project:backlog" for c in categories)
