"""One Redis subscription per process, fanned out to server-sent-event streams.

A stream is a bounded asyncio queue, not a Redis connection: however many pages or SDKs listen,
a process holds one subscription, started with the first stream and ended with the last. Used by
the OFREP change stream (flags.ofrep.sse) and the logs page's live tail (triage.logs.tail).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable

from config.redis_clients import async_pubsub_clients

log = logging.getLogger(__name__)

CLOSE = object()  # put on a stream's queue to end it


class Subscription:
    """Subscribes to `channels` and `patterns` while `active()` says someone listens, and hands
    every message to `dispatch(channel name, data)`; reconnects after a Redis failure."""

    def __init__(self, dispatch: Callable[[str, bytes], None], active: Callable[[], bool],
                 channels: tuple[str, ...] = (), patterns: tuple[str, ...] = ()):
        self.dispatch, self.active = dispatch, active
        self.channels, self.patterns = channels, patterns
        self._task: asyncio.Task | None = None
        self._subscribed: asyncio.Event | None = None

    async def listening(self, timeout: float = 5.0) -> None:
        """Starts the subscription if it is not running, and waits until Redis confirmed it, so a
        message published right after a stream says "connected" reaches the stream."""
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._subscribed = asyncio.Event()
            self._task = loop.create_task(self._listen(self._subscribed))
        try:
            await asyncio.wait_for(self._subscribed.wait(), timeout)
        except TimeoutError:
            log.warning("subscription to %s not confirmed within %s s", self.channels or self.patterns, timeout)

    async def _listen(self, subscribed: asyncio.Event) -> None:
        attempt = 0
        while self.active():
            # On a Redis Cluster, the next node after a failure: any node hears every channel.
            clients = async_pubsub_clients()
            client = clients[attempt % len(clients)]
            for other in clients:
                if other is not client:
                    await other.aclose()
            attempt += 1
            try:
                pubsub = client.pubsub()
                if self.patterns:
                    await pubsub.psubscribe(*self.patterns)
                if self.channels:
                    await pubsub.subscribe(*self.channels)
                subscribed.set()
                while self.active():
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if message is not None:
                        self.dispatch(message["channel"].decode(), message["data"])
                await pubsub.aclose()
            except Exception:
                log.warning("subscription to %s failed; retrying", self.channels or self.patterns, exc_info=True)
                await asyncio.sleep(1.0)
            finally:
                await client.aclose()


def offer(queue: asyncio.Queue, item) -> None:
    """A slow client's full queue drops the item: every item says "look again", so the next does too."""
    try:
        queue.put_nowait(item)
    except asyncio.QueueFull:
        pass


async def frames(queue: asyncio.Queue, subscription: Subscription, keepalive: float,
                 format_item: Callable[[object], bytes], on_close: Callable[[], None]) -> AsyncIterator[bytes]:
    """SSE frames for one stream until the client goes away or CLOSE comes. Django cancels the
    response when the client disconnects; `finally` closes the stream."""
    try:
        await subscription.listening()
        yield b"retry: 1000\n: connected\n\n"
        while True:
            try:
                item = await asyncio.wait_for(queue.get(), keepalive)
            except TimeoutError:
                yield b": keepalive\n\n"
                continue
            if item is CLOSE:
                return
            yield format_item(item)
    finally:
        on_close()
