"""Server-sent events (OFREP `eventStreams`): push "something changed, refetch" to apps that do not want to poll.

Notification-only, as OFREP ADR-0008 specifies
(https://github.com/open-feature/protocol/blob/main/service/adrs/0008-sse-for-bulk-evaluation-changes.md):
each event is `data: {"type":"refetchEvaluation","etag":…,"lastModified":…}` and the client
re-evaluates. Server keys also get `flag`, `action` and `environment` (clients ignore fields they
do not know); client keys get a flag's name only when the flag is client-side, since a browser
key must not list the server-only flags. The bulk endpoint hands out the stream URL in
`eventStreams` with a signed, expiring token naming the SDK key, because a browser's EventSource
cannot send an Authorization header; server apps may instead connect with their key in the header.

One Redis subscription per process serves every open stream (ChangeHub, on config.pubsub): a
stream is a bounded queue, not a Redis connection. Streams are capped per key and per process, and a revoked key's
streams close at once, and its signed URLs stop working.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.urls import reverse

from config import pubsub
from flags import conf
from flags.cache import RAW_PREFIX, channel
from flags.models import SdkKeyKind

log = logging.getLogger(__name__)

SALT = "flags.events.stream"  # unchanged when the module was renamed, so the salt stays one
REVOKED_CHANNEL = f"{RAW_PREFIX}:sdk-key-revoked"  # flags.sdk_keys publishes revoked key ids here
CLOSE = pubsub.CLOSE  # put on a stream's queue when its key is revoked


def stream_token(project_id: int, environment: str, kind: str, key_id: int) -> str:
    return signing.TimestampSigner(salt=SALT).sign(f"{project_id}:{kind}:{key_id}:{environment}")


def read_stream_token(token: str) -> tuple[int, str, str, int] | None:
    """(project id, environment, key kind, key id), or None for a forged, expired or older token."""
    try:
        value = signing.TimestampSigner(salt=SALT).unsign(token, max_age=conf.get("SSE_URL_MAX_AGE_SECONDS"))
        project_id, kind, key_id, environment = value.split(":", 3)
        return int(project_id), environment, kind, int(key_id)
    except (signing.BadSignature, ValueError):
        return None


def stream_url(project_id: int, environment: str, kind: str, key_id: int) -> str:
    base = settings.SWITCHYARD_BASE_URL.rstrip("/")
    return f"{base}{reverse('flags:ofrep_stream')}?token={stream_token(project_id, environment, kind, key_id)}"


_urls: dict[tuple[int, str, str, int], tuple[str, float]] = {}


def event_streams(project_id: int, environment: str, kind: str, key_id: int) -> list[dict]:
    """The `eventStreams` member of a bulk answer. The signed URL is reused for a minute
    (signing costs ~20 µs, a tenth of a 50-flag evaluation); it stays valid far longer."""
    now = time.monotonic()
    url, made = _urls.get((project_id, environment, kind, key_id), ("", 0.0))
    if now - made > 60:
        url = stream_url(project_id, environment, kind, key_id)
        if len(_urls) > 10_000:
            _urls.clear()
        _urls[(project_id, environment, kind, key_id)] = (url, now)
    return [{"type": "sse", "url": url, "inactivityDelaySec": 120}]


def format_event(data: dict) -> bytes:
    return f"event: message\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def for_key_kind(message: dict, kind: str) -> dict:
    """What a stream of that key kind may see of a change: a client key sees the names of
    client-side flags only (the changed one, and those whose answers depend on it)."""
    shown = {k: v for k, v in message.items() if k not in ("client", "client_dependants")}
    if kind != SdkKeyKind.SERVER:
        if "dependants" in message:
            shown["dependants"] = message.get("client_dependants", [])
        if not message.get("client"):
            for name in ("flag", "action", "change"):
                shown.pop(name, None)
    return shown


class TooManyStreams(Exception):
    pass


@dataclass(eq=False)
class Stream:
    project_id: int
    environment: str
    kind: str
    key_id: int
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(maxsize=100))


class ChangeHub:
    """The process's one subscription to every project's change channel and to key revocations,
    fanned out to the open streams. Lives on the event loop that first opens a stream."""

    def __init__(self):
        self.by_project: dict[int, set[Stream]] = defaultdict(set)
        self.per_key: dict[int, int] = defaultdict(int)
        self.count = 0
        self.subscription = pubsub.Subscription(self.dispatch, lambda: self.count > 0,
                                                channels=(REVOKED_CHANNEL,), patterns=(channel("*"),))

    def open(self, project_id: int, environment: str, kind: str, key_id: int) -> Stream:
        """A new stream, or TooManyStreams past the caps (per key, per process)."""
        per_key = conf.get("SSE_STREAMS_PER_KEY")[kind] if kind in SdkKeyKind.values else 1
        if self.count >= conf.get("SSE_STREAMS_PER_PROCESS") or self.per_key[key_id] >= per_key:
            raise TooManyStreams
        stream = Stream(project_id, environment, kind, key_id)
        self.by_project[project_id].add(stream)
        self.per_key[key_id] += 1
        self.count += 1
        return stream

    def close(self, stream: Stream) -> None:
        if stream in self.by_project.get(stream.project_id, ()):
            self.by_project[stream.project_id].discard(stream)
            self.per_key[stream.key_id] -= 1
            self.count -= 1

    async def listening(self, timeout: float = 5.0) -> None:
        await self.subscription.listening(timeout)

    def dispatch(self, channel_name: str, data: bytes) -> None:
        if channel_name == REVOKED_CHANNEL:
            key_id = int(data)
            for streams in self.by_project.values():
                for stream in streams:
                    if stream.key_id == key_id:
                        pubsub.offer(stream.queue, CLOSE)
            return
        message = json.loads(data)
        project_id = int(channel_name.rsplit(":", 1)[1])
        for stream in self.by_project.get(project_id, ()):
            if message.get("environment") == stream.environment:
                pubsub.offer(stream.queue, for_key_kind(message, stream.kind))


hub = ChangeHub()


def change_events(stream: Stream, keepalive: float | None = None) -> AsyncIterator[bytes]:
    """SSE frames for the stream's environment until the client goes away or its key is revoked."""
    return pubsub.frames(stream.queue, hub.subscription, keepalive or conf.get("SSE_KEEPALIVE_SECONDS"),
                         format_event, lambda: hub.close(stream))
