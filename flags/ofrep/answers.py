"""The OFREP hot path, independent of the web framework: request parts in, an Answer out.

Both front doors call `answer`: the bare ASGI app (flags.ofrep.asgi), which config/asgi.py puts
in front of Django so it serves every evaluation in production, and the Django views
(flags.views.ofrep), which serve the test client and any deployment without that app. Either way a request touches Redis only: the SDK key (memoised for a second),
the environment's configuration version (one GET), and the exposure counters (one script call).
The database is read only on a miss (a key or configuration Redis does not hold).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from config.redis_clients import redis_client
from flags import cache, exposures
from flags.ofrep import protocol, sse
from flags.ofrep.protocol import GENERAL, OfrepError
from flags.sdk_keys import KeyInfo, key_info

log = logging.getLogger(__name__)

CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, GET, OPTIONS",
    "Access-Control-Allow-Headers": "authorization, x-api-key, content-type, if-none-match",
    "Access-Control-Expose-Headers": "etag, server-timing",
    "Access-Control-Max-Age": "600",
}
MAX_BODY = 256 * 1024  # an evaluation context is small; anything bigger is a mistake or abuse


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def json_answer(data, status: int = 200, **headers) -> Answer:
    return Answer(status, protocol.dumps(data), {"Content-Type": "application/json", **CORS, **headers})


def error_answer(error: OfrepError, **headers) -> Answer:
    return json_answer(error.body(), error.status, **headers)


def too_large(key: str | None) -> Answer:
    """Both front doors refuse a body over MAX_BODY without reading the rest. OFREP has no
    status for it, so it is a parse error (400), which the OpenFeature providers report."""
    return error_answer(OfrepError(400, protocol.PARSE_ERROR, f"the body is over {MAX_BODY} bytes", key))


def answer(method: str, key: str | None, headers: Mapping[str, str], body: bytes) -> Answer:
    """One OFREP request: `key` is the flag key of the single endpoint, None for bulk.
    `headers` must look names up case-insensitively (Django's request.headers, or lower-case
    names). Never raises: every failure is a JSON answer, 500 included."""
    if method == "OPTIONS":
        return Answer(204, b"", dict(CORS))
    if method != "POST":
        return error_answer(OfrepError(405, GENERAL, "use POST", key), Allow="POST, OPTIONS")
    started = time.perf_counter()
    try:
        result = _single(key, headers, body) if key is not None else _bulk(headers, body)
    except OfrepError as exc:
        result = error_answer(exc)
    except Exception:
        log.exception("OFREP evaluation failed")
        result = error_answer(OfrepError(500, GENERAL, "internal error", key))
    result.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.3f}"
    return result


def authenticate(headers: Mapping[str, str]) -> KeyInfo:
    plaintext = protocol.bearer_key(headers.get("authorization", ""), headers.get("x-api-key", ""))
    info = key_info(plaintext) if plaintext else None
    if info is None:
        raise OfrepError(401, GENERAL, "a valid SDK key is required (Authorization: Bearer <key>)")
    return info


def _context(body: bytes, key: str | None) -> dict:
    if len(body) > MAX_BODY:  # the front doors refuse such bodies before reading them; callers may not
        raise OfrepError(400, protocol.PARSE_ERROR, f"the body is over {MAX_BODY} bytes", key)
    return protocol.parse_context(body, key)


def _single(key: str, headers: Mapping[str, str], body: bytes) -> Answer:
    info = authenticate(headers)
    context = _context(body, key)
    config = cache.load(info.project_id, info.environment)
    redis = redis_client()
    try:
        data, variant = protocol.evaluate_single(config, key, context, info.kind)
    except OfrepError as exc:
        if exc.code == protocol.FLAG_NOT_FOUND and key not in config.flags:
            exposures.record_evaluations(redis, info.project_id, info.environment, [], time.time(), misses=[key])
        raise
    exposures.record_evaluations(redis, info.project_id, info.environment, [(key, variant)], time.time(),
                                 targeting_key=_targeting_key(context))
    return json_answer(data)


def _bulk(headers: Mapping[str, str], body: bytes) -> Answer:
    info = authenticate(headers)
    context = _context(body, None)
    config = cache.load(info.project_id, info.environment)
    etag = protocol.bulk_etag(config, context, info.kind)
    if protocol.etag_matches(headers.get("if-none-match", ""), etag):
        return Answer(304, b"", {**CORS, "ETag": etag})
    items, evaluated = protocol.evaluate_bulk(config, context, info.kind)
    exposures.record_evaluations(redis_client(), info.project_id, info.environment, evaluated, time.time(),
                                 targeting_key=_targeting_key(context))
    data = {
        "flags": items,
        "metadata": {"version": config.version, "environment": info.environment},
        "eventStreams": sse.event_streams(info.project_id, info.environment, info.kind, info.key_id),
    }
    return json_answer(data, ETag=etag)


def _targeting_key(context: dict) -> str:
    """Who was exposed, for the users-per-variant counts (flags.exposures)."""
    key = context.get("targetingKey")
    return key if isinstance(key, str) else ""
