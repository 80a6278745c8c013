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


def nested_deeper_than(value: Any, limit: int) -> bool:
    """Whether lists and objects nest more than `limit` levels deep. Iterative, so input nested
    far deeper than Python's recursion limit is measured, not crashed on."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if type(node) is dict else node if type(node) is list else ()
        stack.extend((child, depth + 1) for child in children if type(child) in (dict, list))
    return False


class HotKeyCache:
    """API key → what it grants, for the front doors' hot path, in three levels: a per-process
    dict that lives `ttl()` seconds (so a revoked key is refused everywhere within that time), a
    Redis hash shared by every process (written on commit of each key change, see `publish`),
    and the database when Redis has no entry (after a flush, or for a key never seen).

    A key the database does not know is remembered as unknown for NEGATIVE_SECONDS, in a Redis
    key of its own that expires (a hash field cannot), so a flood of made-up keys costs one
    database query each at most and leaves nothing behind; the memo is bounded so it cannot grow
    with them either. Callers refuse malformed keys before asking, which bounds each entry's size.
    `load(key) -> str | None` reads the database; values are strings (the caller encodes).
    """

    UNKNOWN = b"0"
    MEMO_LIMIT = 100_000
    NEGATIVE_SECONDS = 60

    def __init__(self, hash_name: str, load: Callable[[str], str | None], ttl: Callable[[], float]):
        self.hash_name = hash_name
        self.load = load
        self.ttl = ttl  # read at each miss, so a changed setting applies without a restart
        self._memo: dict[str, tuple[bytes, float]] = {}
        self._load_async: Callable[[str], Awaitable[str | None]] = sync_to_async(load)

    def unknown_key(self, key: str) -> str:
        """In the hash's slot, as publish's MULTI needs on a Redis Cluster: a hash named with a tag
        lends it; an untagged name, used whole as the tag, hashes like the name itself."""
        tag = self.hash_name if "{" in self.hash_name else f"{{{self.hash_name}}}"
        return f"{tag}:unknown:{key}"

    def get(self, redis, key: str, now: float | None = None) -> bytes | None:
        """The cached value of an active key, or None (unknown or revoked). Synchronous Redis."""
        now = time.monotonic() if now is None else now
        hit = self._memo.get(key)
        if hit is not None and hit[1] > now:
            return _known(hit[0])
        pipe = redis.pipeline(transaction=False)
        pipe.hget(self.hash_name, key)
        pipe.exists(self.unknown_key(key))
        raw, unknown = pipe.execute()
        if raw is None:
            raw = self.UNKNOWN if unknown else self._remember_in_redis(redis, key, self.load(key))
        return self._remember(key, raw, now)

    async def aget(self, redis, key: str, now: float | None = None) -> bytes | None:
        """The same with an asyncio Redis client; the database is read in a worker thread."""
        now = time.monotonic() if now is None else now
        hit = self._memo.get(key)
        if hit is not None and hit[1] > now:
            return _known(hit[0])
        pipe = redis.pipeline(transaction=False)
        pipe.hget(self.hash_name, key)
        pipe.exists(self.unknown_key(key))
        raw, unknown = await pipe.execute()
        if raw is None:
            if unknown:
                raw = self.UNKNOWN
            else:
                value = await self._load_async(key)
                raw = _encode(value)
                if value:
                    await redis.hset(self.hash_name, key, raw)
                else:
                    await redis.set(self.unknown_key(key), 1, ex=self.NEGATIVE_SECONDS)
        return self._remember(key, raw, now)

    def publish(self, redis, key: str, value: str | None) -> None:
        """Called on commit of a key change: an active key maps to its value; a revoked one is
        dropped from the hash and remembered as unknown. Other processes see the change when
        their memo expires."""
        pipe = redis.pipeline(transaction=True)
        if value:
            pipe.hset(self.hash_name, key, value)
            pipe.delete(self.unknown_key(key))
        else:
            pipe.hdel(self.hash_name, key)
            pipe.set(self.unknown_key(key), 1, ex=self.NEGATIVE_SECONDS)
        pipe.execute()

    def forget(self) -> None:
        """Empties this process's memo (tests, whose databases reuse ids)."""
        self._memo.clear()

    def _remember_in_redis(self, redis, key: str, value: str | None) -> bytes:
        if value:
            redis.hset(self.hash_name, key, value)
        else:
            redis.set(self.unknown_key(key), 1, ex=self.NEGATIVE_SECONDS)
        return _encode(value)

    def _remember(self, key: str, raw: bytes, now: float) -> bytes | None:
        if len(self._memo) > self.MEMO_LIMIT:
            self._memo.clear()
        self._memo[key] = (raw, now + self.ttl())
        return _known(raw)


def _encode(value: str | None) -> bytes:
    return value.encode() if value else HotKeyCache.UNKNOWN


def _known(raw: bytes) -> bytes | None:
    return None if raw == HotKeyCache.UNKNOWN else raw
