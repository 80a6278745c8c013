"""The ingest endpoints as a minimal ASGI app in front of Django.

Measured on a 2-core machine: a Django view, even an empty one, serves ~700–1,100 requests/s;
a bare ASGI handler with gunzip and XADD serves ~2,300/s. The SDK endpoints are the only hot
path, so they bypass Django's request machinery; everything else falls through to Django.
The request path authenticates, checks size and shape, appends to Redis, and answers — never a
database write (the key lookup reads the DB only on a cache miss).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time

from django.conf import settings
from django.utils import timezone

from config import edge
from config.redis_clients import async_redis_client, run_scripts
from triage import stream
from triage.edge import parsing, quotas
from triage.edge.body import OverBudget
from triage.edge.errors import IngestError
from triage.edge.keys import dsn_key_cache, project_for_key
from triage.edge.partitions import PartitionChooser

log = logging.getLogger(__name__)

# Every so often, ingest tells Redis how many partitions it writes: a worker that lowered the
# number while this process still wrote the old one finds its partitions again (stream.worker).
ANNOUNCE_EVERY_SECONDS = 60.0
INLINE_DECODE_BYTES = 1 << 20  # decoded on the event loop before a request moves to a thread

# A DSN may carry a path prefix (`http://k@host/prefix/42` posts to `/prefix/api/42/envelope/`).
INGEST_PATH = re.compile(r"^(?:/[^/]+)*?/api/(?P<project>\d+)/(?P<kind>envelope|store|logs)/?$")
CORS_HEADERS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"POST, OPTIONS"),
    (
        b"access-control-allow-headers",
        b"content-type, content-encoding, x-sentry-auth, authorization, sentry-trace, baggage",
    ),
    (b"access-control-expose-headers", b"x-sentry-error, x-sentry-rate-limits, retry-after"),
]


class IngestApp:
    def __init__(self, fallback):
        self.fallback = fallback
        self.options = settings.SWITCHYARD
        self.keys = dsn_key_cache()
        self.limits = quotas.limits_cache()
        self.heavy = asyncio.Semaphore(self.options["HEAVY_BODIES"])
        self.partitions = PartitionChooser(self.options["STREAM_PARTITIONS"], self.options["HOT_PROJECT_PERCENT"])
        self._redis = None
        self._append = None
        self._announced = float("-inf")  # when this process last told Redis its partitions

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            return await self._lifespan(receive, send)
        match = INGEST_PATH.match(scope.get("path", "")) if scope["type"] == "http" else None
        if match is None:
            return await self.fallback(scope, receive, send)
        if scope["method"] == "OPTIONS":
            return await _respond(send, 200, {})
        if scope["method"] != "POST":
            return await _respond(send, 405, {"detail": "use POST"})
        try:
            status, body, headers = await self._ingest(scope, receive, int(match["project"]), match["kind"])
        except IngestError as exc:
            status, body, headers = exc.status, {"detail": exc.detail}, exc.headers
        except Exception:  # Redis down or a bug: the SDK must see 503, never a hung request
            log.exception("ingest failed")
            status, body, headers = 503, {"detail": "temporarily unavailable"}, [(b"retry-after", b"5")]
        await _respond(send, status, body, headers)

    async def _ingest(self, scope, receive, project_id: int, kind: str):
        """The key first (from the headers or the query, before the body is read), then the body
        under its limits, parsed inline when small and in a worker thread when not."""
        headers = edge.headers(scope)
        received_at = time.time()
        public_key = parsing.public_key_from_auth_header(
            headers.get("x-sentry-auth") or headers.get("authorization", "")
        ) or parsing.public_key_from_query(scope.get("query_string", b"").decode("latin-1"))
        if public_key:
            await self._authenticate(public_key, project_id)
        body = await _read_body(receive, headers, self.options["MAX_COMPRESSED_BYTES"])
        encoding = headers.get("content-encoding", "")
        if not public_key:  # a tunnelled envelope names its key in its header line only
            limit = self.options["MAX_DECOMPRESSED_BYTES"]
            await self._authenticate(parsing.header_public_key(body, encoding, limit) if kind == "envelope" else None, project_id)
        messages, event_id = await self._parse(kind, project_id, body, encoding, received_at)
        refused = await self._append_all(project_id, messages)
        return _reply(event_id, messages, refused)

    async def _parse(self, kind, project_id, body, encoding, received_at):
        """Inline up to INLINE_DECODE_BYTES of decoded body (nearly every request: an event is
        ~8 KB); past that, again in a thread, at most HEAVY_BODIES at a time per process, so a
        client sending bodies that inflate to 100 MB holds neither the event loop nor the memory
        of more than a few of them."""
        args = (kind, project_id, body, encoding, received_at, self.options)
        try:
            return parsing.request_messages(*args, budget=INLINE_DECODE_BYTES)
        except OverBudget:
            pass
        async with self.heavy:
            return await asyncio.to_thread(parsing.request_messages, *args)

    async def _authenticate(self, public_key: str | None, project_id: int) -> None:
        if not public_key:
            raise IngestError(401, "missing sentry_key (X-Sentry-Auth header, query or envelope dsn)")
        public_key = parsing.well_formed_key(public_key)
        if public_key is None:
            raise IngestError(401, "unknown or revoked DSN key")
        owner = await project_for_key(self.keys, self.redis, public_key)
        if owner is None:
            raise IngestError(401, "unknown or revoked DSN key")
        if owner != project_id:
            raise IngestError(403, "this DSN key belongs to another project")

    async def _append_all(self, project_id: int, messages) -> list[parsing.Refusal]:
        """Appends each message behind its stream's cap (and an event behind the quotas too);
        returns why each refused one was refused. A partitioned stream's caps are shared out
        between its partitions, so the whole backlog, and Redis's memory, stays as bounded as
        with one: a partition that fills refuses (429) while its neighbours may still accept."""
        if not messages:
            return []
        cap, now = self.options["STREAM_MAXLEN"], timezone.now()
        limits = None
        if any(name == stream.EVENTS for name, _ in messages):
            raw = await self.limits.aget(self.redis, str(project_id))
            limits = quotas.Limits.decode(raw) if raw else quotas.Limits()
        calls = []
        for name, message in messages:
            parts = self.partitions.partitions if name in stream.PARTITIONED else 1
            if parts > 1:
                partition, spread = self.partitions.choose(project_id, message.event_id)
                target = stream.in_partition(name, partition)
            else:
                target, spread = name, False
            if name == stream.EVENTS:
                keys, args = quotas.append_event(target, message, quotas.share(cap, parts), limits,
                                                 quotas.installation_limits(), now, parts, spread)
                calls.append((self.scripts["event"], keys, args))
            else:
                args = stream.append_args(message, quotas.share(cap, parts),
                                          quotas.share(self.options["LOG_STREAM_MAX_BYTES"], parts))
                calls.append((self.scripts["log"], [target, stream.bytes_key(target)], args))
        if self.partitions.partitions > 1 and time.monotonic() - self._announced > ANNOUNCE_EVERY_SECONDS:
            await stream.announce_partitions(self.redis, self.partitions.partitions)
            self._announced = time.monotonic()
        results = await run_scripts(self.redis, calls)
        return [self._refusal(name, result, now) for (name, _), result in zip(messages, results, strict=True)
                if not _appended(result)]

    def _refusal(self, stream_name: str, result, now) -> parsing.Refusal:
        if isinstance(result, list) and result[0] == b"quota":
            scope, _ = result[1].decode().split(":")
            return parsing.Refusal(stream_name, scope, "quota_exceeded", quotas.seconds_left(result[1].decode(), now))
        return parsing.Refusal(stream_name, "project", "backlog", self.options["RETRY_AFTER_SECONDS"])

    @property
    def redis(self):
        if self._redis is None:
            self._redis = async_redis_client(max_connections=64)
        return self._redis

    @property
    def scripts(self):
        if self._append is None:
            self._append = {"event": self.redis.register_script(quotas.APPEND_EVENT_SCRIPT),
                            "log": self.redis.register_script(stream.APPEND_SCRIPT)}
        return self._append

    async def _lifespan(self, receive, send):
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._redis is not None:
                    await self._redis.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return


def _appended(result) -> bool:
    """The log script answers the entry id or nil; the event script {'ok', id} or a reason."""
    if isinstance(result, list):
        return result[0] == b"ok"
    return result is not None


def _reply(event_id, messages, refused: list[parsing.Refusal]):
    if not refused:
        return 200, {"id": event_id} if event_id else {}, []
    retry_after = max(r.seconds for r in refused)
    limits = parsing.rate_limit_header(refused).encode()
    headers = [(b"x-sentry-rate-limits", limits), (b"retry-after", str(retry_after).encode())]
    if any(r.stream == stream.EVENTS for r in refused) or len(refused) == len(messages):
        quota = any(r.reason == "quota_exceeded" for r in refused)
        return 429, {"detail": "event quota used up, retry later" if quota else "backlog full, retry later"}, headers
    # The event went through; only logs were refused. The SDK honours the header on a 200 too.
    return 200, {"id": event_id} if event_id else {}, headers


async def _read_body(receive, headers: dict[str, str], limit: int) -> bytes:
    try:
        return await edge.read_body(receive, headers, limit)
    except edge.BodyTooLarge as exc:
        raise IngestError(413, str(exc)) from None
    except edge.BadRequestBody as exc:
        raise IngestError(400, str(exc)) from None


async def _respond(send, status: int, body: dict, headers=()) -> None:
    await edge.respond_json(send, status, body, [*CORS_HEADERS, *headers])
