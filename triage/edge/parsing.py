"""Ingest: the bytes a Sentry SDK posts → validated messages for the streams.

Plain functions, no I/O: the ASGI handler in triage.edge.asgi reads the request, calls these,
and appends what they return to Redis. Every refusal is an IngestError carrying the HTTP status a
Sentry client understands (400 malformed, 401 no or bad key, 403 wrong project, 413 too large).
The envelope format: https://develop.sentry.dev/sdk/foundations/transport/envelopes/
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from config.edge import nested_deeper_than
from triage import jsonutil
from triage.edge import log_lines
from triage.edge.body import Plain, Reader, decoded
from triage.edge.errors import IngestError
from triage.stream import EVENTS, LOGS, SESSIONS, IngestMessage

# Items we store; every other type (transaction, client_report, attachment, …) is accepted and
# dropped, never rejected: refusing one would make the SDK drop the whole envelope. `session`
# (one session's update) and `sessions` (a minute's aggregate) are release health:
# https://develop.sentry.dev/sdk/telemetry/sessions/
STREAM_FOR_ITEM = {"event": EVENTS, "log": LOGS, "session": SESSIONS, "sessions": SESSIONS}
RATE_LIMIT_CATEGORY = {EVENTS: "error;default", LOGS: "log_item", SESSIONS: "session"}
_HEX32 = re.compile(r"^[0-9a-f]{32}$")
_AUTH_PAIR = re.compile(r"(\w+)\s*=\s*([^,\s]+)")
# A DSN's public key is 32 hex digits (Sentry's, and ours): anything else is refused before any
# lookup, so made-up keys of any length never reach the cache or the database.
_PUBLIC_KEY = re.compile(r"^[0-9a-fA-F]{32}$")

MAX_HEADER_BYTES = 64 * 1024  # an envelope or item header line
MAX_ITEMS = 1000  # items of any type in one envelope
MAX_LOG_ITEMS = 100  # log items kept from one envelope (the SDK sends one, of up to 100 lines)
# sentry-sdk's session flusher puts at most 100 items in an envelope (sessions.MAX_ENVELOPE_ITEMS).
MAX_SESSION_ITEMS = 100
ITEM_LIMITS = {"event": 1, "log": MAX_LOG_ITEMS, "session": MAX_SESSION_ITEMS, "sessions": MAX_SESSION_ITEMS}
# Real SDK events nest about 10 deep (sentry-sdk trims databags at 5). Deeper input is refused:
# each level costs the worker and the pages a recursion frame (Python allows about 1,000).
MAX_JSON_DEPTH = 256


@dataclass(frozen=True)
class Envelope:
    header: dict
    items: list[tuple[dict, bytes]]  # the items of the types Switchyard keeps, with their payloads
    dropped: int = field(default=0)  # items of other types, read past and not kept


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
    if not isinstance(dsn, str) or not dsn or len(dsn) > 2048:
        return None
    try:
        return urlsplit(dsn).username or None
    except ValueError:
        return None


def well_formed_key(public_key: str | None) -> str | None:
    """The key in lower case when it looks like a DSN public key, else None (refused unlooked)."""
    if public_key and _PUBLIC_KEY.match(public_key):
        return public_key.lower()
    return None


# --- bodies --------------------------------------------------------------------------------------


def decompress(body: bytes, content_encoding: str, limit: int) -> bytes:
    """The whole decoded body, never more than `limit` bytes of it (413)."""
    return _read_all(decoded(body, content_encoding, limit))


def _read_all(source) -> bytes:
    chunks = []
    while piece := source.read(1 << 20):
        chunks.append(piece)
    return b"".join(chunks)


# --- envelopes -------------------------------------------------------------------------------------


def read_envelope_header(reader: Reader) -> dict:
    return _json_object(reader.line(MAX_HEADER_BYTES, "envelope header"), "envelope header", depth=False)


def read_envelope_items(reader: Reader, max_item_bytes: int) -> tuple[list[tuple[dict, bytes]], int]:
    """The items Switchyard keeps, with their payloads, and how many others were read past.

    Items with a `length` are read by length; items without one run to the next newline. Payloads
    of other types (attachments, replays, transactions …) are skipped without being held. An envelope
    carries at most one event ("Multiple: No" in
    https://develop.sentry.dev/sdk/foundations/envelopes/envelope-items/): Sentry's Relay refuses
    a second as a duplicate item, and so do we, rather than turn one request into thousands of events.
    """
    kept, dropped, count = [], 0, 0
    limits = dict(ITEM_LIMITS)
    while not reader.at_end():
        line = reader.line(MAX_HEADER_BYTES, "item header")
        if not line.strip():
            continue
        count += 1
        if count > MAX_ITEMS:
            raise IngestError(400, f"an envelope carries at most {MAX_ITEMS} items")
        item_header = _json_object(line, "item header", depth=False)
        length = item_header.get("length")
        if length is not None and (not isinstance(length, int) or isinstance(length, bool) or length < 0):
            raise IngestError(400, "item length must be a number of bytes")
        kind = item_header.get("type")
        if kind in STREAM_FOR_ITEM:
            limits[kind] -= 1
            if limits[kind] < 0:
                raise IngestError(400, "an envelope carries at most one event item" if kind == "event"
                                  else f"an envelope carries at most {ITEM_LIMITS[kind]} {kind} items")
            if length is not None and length > max_item_bytes:
                raise IngestError(413, f"{item_header['type']} item is over {max_item_bytes} bytes")
            payload = reader.line(max_item_bytes, f"{item_header['type']} item") if length is None else reader.exactly(length)
            kept.append((item_header, payload))
        else:
            reader.skip_line() if length is None else reader.skip(length)
            dropped += 1
        if length is not None:
            reader.newline()
    return kept, dropped


def parse_envelope(body: bytes, max_item_bytes: int = 1 << 20) -> Envelope:
    """An uncompressed envelope read whole (tests and tools; ingest reads it as a stream)."""
    reader = Reader(Plain(body))
    header = read_envelope_header(reader)
    items, dropped = read_envelope_items(reader, max_item_bytes)
    return Envelope(header, items, dropped)


def _json_object(raw: bytes, what: str, depth: bool = True) -> dict:
    try:
        value = jsonutil.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise IngestError(400, f"{what} is not valid JSON") from None
    if not isinstance(value, dict):
        raise IngestError(400, f"{what} must be a JSON object")
    # Only JSON with more brackets than the limit can nest deeper than it: a typical 8 KB event
    # has ~60, so the walk (≈100 µs for 40 KB) runs for big payloads only.
    if depth and raw.count(b"{") + raw.count(b"[") > MAX_JSON_DEPTH and nested_deeper_than(value, MAX_JSON_DEPTH):
        raise IngestError(400, f"{what} nests deeper than {MAX_JSON_DEPTH} levels")
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
        elif stream in (LOGS, SESSIONS):
            _json_object(payload, f"{item_header['type']} item")
            # A fresh id per item: the digest's key for a message applied once (triage.digest.sessions).
            message = IngestMessage(project_id, uuid.uuid4().hex, received_at, payload)
        else:
            continue
        messages.append((stream, message))
    return messages, header_id


def header_public_key(body: bytes, content_encoding: str, limit: int) -> str | None:
    """The key of the envelope header's `dsn` (tunnelled envelopes), reading only that line."""
    header = read_envelope_header(Reader(decoded(body, content_encoding, limit)))
    return public_key_from_dsn(header.get("dsn"))


def request_messages(kind: str, project_id: int, body: bytes, content_encoding: str, received_at: float,
                     options: dict, budget: int | None = None):
    """(stream, message) pairs and the event id of a store, envelope or logs request's body.

    `budget` caps the decoded bytes this call may produce before it raises OverBudget, so the
    event loop does small requests inline and hands big ones to a thread (triage.edge.asgi)."""
    if kind == "logs":  # the logs endpoint: plain lines (triage.edge.log_lines)
        payload = _read_all(decoded(body, content_encoding, options["MAX_EVENT_BYTES"], budget))
        return [(LOGS, log_lines.logs_message(project_id, payload, received_at))], None
    if kind == "store":  # the whole body is one event
        payload = _read_all(decoded(body, content_encoding, options["MAX_EVENT_BYTES"], budget))
        message = event_message(project_id, payload, None, received_at, options["MAX_EVENT_BYTES"])
        return [(EVENTS, message)], message.event_id
    reader = Reader(decoded(body, content_encoding, options["MAX_DECOMPRESSED_BYTES"], budget))
    header = read_envelope_header(reader)
    items, dropped = read_envelope_items(reader, options["MAX_EVENT_BYTES"])
    return envelope_messages(project_id, Envelope(header, items, dropped), received_at, options["MAX_EVENT_BYTES"])


@dataclass(frozen=True)
class Refusal:
    """Why a stream refused a message: its backlog is full, or a quota of a scope is used up."""

    stream: str
    scope: str  # "project", or "organization" for the installation's quota (Sentry's names)
    reason: str  # "backlog" or "quota_exceeded"
    seconds: int  # until the SDK may send that category again


def rate_limit_header(refused: list[Refusal]) -> str:
    """`X-Sentry-Rate-Limits`: one group per refusal, `seconds:categories:scope:reason`. Integer
    seconds: sentry-sdk's parser calls int() and silently ignores "60.0"."""
    groups = {f"{r.seconds}:{RATE_LIMIT_CATEGORY[r.stream]}:{r.scope}:{r.reason}" for r in refused}
    return ",".join(sorted(groups))
