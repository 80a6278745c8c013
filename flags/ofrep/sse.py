"""Server-sent events (OFREP `eventStreams`): push "something changed, refetch" to apps that do not want to poll.

Notification-only, as OFREP ADR-0008 specifies: each event is
`data: {"type":"refetchEvaluation","etag":…,"lastModified":…}` and the client re-evaluates.
We add `flag`, `action` and `environment` (clients ignore fields they do not know).
The bulk endpoint hands out the stream URL in `eventStreams` with a signed, expiring token,
because a browser's EventSource cannot send an Authorization header; server apps may instead
connect with their SDK key in the header.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

from django.conf import settings
from django.core import signing
from django.urls import reverse

from config.redis_clients import async_redis_client
from flags import conf
from flags.cache import channel

SALT = "flags.events.stream"  # unchanged when the module was renamed, so issued stream URLs stay valid


def stream_token(project_id: int, environment: str, kind: str) -> str:
    return signing.TimestampSigner(salt=SALT).sign(f"{project_id}:{kind}:{environment}")


def read_stream_token(token: str) -> tuple[int, str, str] | None:
    """(project id, environment, key kind), or None for a forged or expired token."""
    try:
        value = signing.TimestampSigner(salt=SALT).unsign(token, max_age=conf.get("SSE_URL_MAX_AGE_SECONDS"))
    except signing.BadSignature:
        return None
    project_id, kind, environment = value.split(":", 2)
    return int(project_id), environment, kind


def stream_url(project_id: int, environment: str, kind: str) -> str:
    base = settings.SWITCHYARD_BASE_URL.rstrip("/")
    return f"{base}{reverse('flags:ofrep_stream')}?token={stream_token(project_id, environment, kind)}"


_urls: dict[tuple[int, str, str], tuple[str, float]] = {}


def event_streams(project_id: int, environment: str, kind: str) -> list[dict]:
    """The `eventStreams` member of a bulk answer. The signed URL is reused for a minute
    (signing costs ~20 µs, a tenth of a 50-flag evaluation); it stays valid far longer."""
    now = time.monotonic()
    url, made = _urls.get((project_id, environment, kind), ("", 0.0))
    if now - made > 60:
        url = stream_url(project_id, environment, kind)
        if len(_urls) > 10_000:
            _urls.clear()
        _urls[(project_id, environment, kind)] = (url, now)
    return [{"type": "sse", "url": url, "inactivityDelaySec": 120}]


def format_event(data: dict) -> bytes:
    return f"event: message\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


async def change_events(project_id: int, environment: str, keepalive: float | None = None) -> AsyncIterator[bytes]:
    """Yields SSE frames for the environment's changes until the client goes away.

    One pub/sub subscription per connection. Django cancels the response when the client
    disconnects; the `finally` then unsubscribes and closes the connection.
    """
    keepalive = keepalive or conf.get("SSE_KEEPALIVE_SECONDS")
    client = async_redis_client()
    pubsub = client.pubsub()
    try:
        await pubsub.subscribe(channel(project_id))
        yield b"retry: 1000\n: connected\n\n"
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=keepalive)
            if message is None:
                yield b": keepalive\n\n"
                continue
            data = json.loads(message["data"])
            if data.get("environment") == environment:
                yield format_event(data)
    finally:
        await pubsub.aclose()
        await client.aclose()
