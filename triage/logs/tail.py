"""The logs page's live tail: after a batch of lines is acknowledged the digest announces it on
the project's channel, and each open page hears it over server-sent events and fetches the lines
newer than its newest (the announcement carries no lines: what a page may see is decided by the
same query and access check as the page itself).

One Redis subscription per web process serves every open tail (config.pubsub).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import redis as redis_lib

from config import pubsub
from config.redis_clients import pipeline

log = logging.getLogger(__name__)

PREFIX = "switchyard:logs:tail"
MAX_STREAMS = 1000  # open tails per web process: each is a queue and a response held open
KEEPALIVE_SECONDS = 20.0


def channel(project_id: int | str) -> str:
    return f"{PREFIX}:{project_id}"


def announce(redis, project_ids) -> None:
    """Tells the open tails of these projects that new lines are stored. Best effort, after the
    commit: a tail that misses one hears the next, and the lines are stored either way."""
    try:
        pipe = pipeline(redis)  # PUBLISH: a cluster pipeline refuses it
        for project_id in sorted(project_ids):
            pipe.publish(channel(project_id), b"1")
        pipe.execute()
    except redis_lib.RedisError:
        log.warning("could not announce new log lines", exc_info=True)


class TooManyTails(Exception):
    pass


@dataclass(eq=False)
class Tail:
    project_id: int
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(maxsize=1))


class TailHub:
    """The process's subscription to every project's tail channel, fanned out to open tails."""

    def __init__(self):
        self.by_project: dict[int, set[Tail]] = defaultdict(set)
        self.count = 0
        self.subscription = pubsub.Subscription(self.dispatch, lambda: self.count > 0, patterns=(channel("*"),))

    def open(self, project_id: int) -> Tail:
        if self.count >= MAX_STREAMS:
            raise TooManyTails
        tail = Tail(project_id)
        self.by_project[project_id].add(tail)
        self.count += 1
        return tail

    def close(self, tail: Tail) -> None:
        if tail in self.by_project.get(tail.project_id, ()):
            self.by_project[tail.project_id].discard(tail)
            self.count -= 1

    def dispatch(self, channel_name: str, data: bytes) -> None:
        project_id = int(channel_name.rsplit(":", 1)[1])
        for tail in self.by_project.get(project_id, ()):
            pubsub.offer(tail.queue, True)  # a queue of one: many batches while a page fetches are one "look again"


hub = TailHub()


async def tail_events(tail: Tail, keepalive: float = KEEPALIVE_SECONDS) -> AsyncIterator[bytes]:
    """SSE frames: `event: ready` once subscribed (the page then fetches what arrived since it was
    rendered, so no line falls between the two), then `event: lines` whenever the project stored
    new lines."""
    frames = pubsub.frames(tail.queue, hub.subscription, keepalive, lambda _: b"event: lines\ndata: {}\n\n",
                           lambda: hub.close(tail))
    async for frame in frames:
        yield frame
        if frame.startswith(b"retry:"):  # the first frame: the subscription is confirmed
            yield b"event: ready\ndata: {}\n\n"
