"""Plumbing for the bare ASGI front doors (SDK ingest and OFREP evaluation), which answer before
Django for speed: request headers, the body under a size limit, JSON answers, and the cache of
API keys (DSN keys, SDK keys) that every request of theirs looks up.

One over-limit policy for both: a body whose declared or received size passes the limit raises
BodyTooLarge as soon as that is known, without reading the rest; the caller answers 413.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import sync_to_async

Headers = dict[str, str]


class BodyTooLarge(Exception):
    def __init__(self, limit: int):
        super().__init__(f"the body is over {limit} bytes")
        self.limit = limit


class BadRequestBody(Exception):
    """A malformed Content-Length, or a client that went away mid-body."""


def headers(scope) -> Headers:
    """Request headers with lower-case names (ASGI sends them lower-case already; repeated
    headers keep the last value, which is all these endpoints need)."""
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


async def read_body(receive, request_headers: Headers, limit: int) -> bytes:
    """The whole body, at most `limit` bytes: BodyTooLarge past it, BadRequestBody for a bad
    Content-Length or a disconnect."""
    declared = request_headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise BadRequestBody("bad Content-Length")
        if int(declared) > limit:
            raise BodyTooLarge(limit)
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise BadRequestBody("client disconnected")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def respond(send, status: int, body: bytes, response_headers=()) -> None:
    """Sends a whole response; Content-Length is added here."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*response_headers, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def respond_json(send, status: int, data: Any, response_headers=()) -> None:
    await respond(send, status, json.dumps(data).encode(), [(b"content-type", b"application/json"), *response_headers])


class HotKeyCache:
    """API key → what it grants, for the front doors' hot path, in three levels: a per-process
    dict that lives `ttl()` seconds (so a revoked key is refused everywhere within that time), a
    Redis hash shared by every process (written on commit of each key change, see `publish`),
    and the database when Redis has no entry (after a flush, or for a key never seen).

    Keys the database does not know are cached as UNKNOWN too, so a flood of made-up keys
    costs one database query each at most, and the memo is bounded so it cannot grow with them.
    `load(key) -> str | None` reads the database; values are strings (the caller encodes).
    """

    UNKNOWN = b"0"
    MEMO_LIMIT = 100_000

    def __init__(self, hash_name: str, load: Callable[[str], str | None], ttl: Callable[[], float]):
        self.hash_name = hash_name
        self.load = load
        self.ttl = ttl  # read at each miss, so a changed setting applies without a restart
        self._memo: dict[str, tuple[bytes, float]] = {}
        self._load_async: Callable[[str], Awaitable[str | None]] = sync_to_async(load)

    def get(self, redis, key: str, now: float | None = None) -> bytes | None:
        """The cached value of an active key, or None (unknown or revoked). Synchronous Redis."""
        now = time.monotonic() if now is None else now
        hit = self._memo.get(key)
        if hit is not None and hit[1] > now:
            return _known(hit[0])
        raw = redis.hget(self.hash_name, key)
        if raw is None:
            raw = _encode(self.load(key))
            redis.hset(self.hash_name, key, raw)
        return self._remember(key, raw, now)

    async def aget(self, redis, key: str, now: float | None = None) -> bytes | None:
        """The same with an asyncio Redis client; the database is read in a worker thread."""
        now = time.monotonic() if now is None else now
        hit = self._memo.get(key)
        if hit is not None and hit[1] > now:
            return _known(hit[0])
        raw = await redis.hget(self.hash_name, key)
        if raw is None:
            raw = _encode(await self._load_async(key))
            await redis.hset(self.hash_name, key, raw)
        return self._remember(key, raw, now)

    def publish(self, redis, key: str, value: str | None) -> None:
        publish_key_value(redis, self.hash_name, key, value)

    def forget(self) -> None:
        """Empties this process's memo (tests, whose databases reuse ids)."""
        self._memo.clear()

    def _remember(self, key: str, raw: bytes, now: float) -> bytes | None:
        if len(self._memo) > self.MEMO_LIMIT:
            self._memo.clear()
        self._memo[key] = (raw, now + self.ttl())
        return _known(raw)


def publish_key_value(redis, hash_name: str, key: str, value: str | None) -> None:
    """Called on commit of a key change: an active key maps to its value, a revoked one to
    UNKNOWN. Other processes see the change when their memo expires."""
    redis.hset(hash_name, key, _encode(value))


def _encode(value: str | None) -> bytes:
    return value.encode() if value else HotKeyCache.UNKNOWN


def _known(raw: bytes) -> bytes | None:
    return None if raw == HotKeyCache.UNKNOWN else raw
