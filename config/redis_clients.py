"""The one way to get a Redis client, synchronous or asyncio, for settings.REDIS_URL.

Synchronous code (views, tasks, the stream consumers, signal receivers) shares the connection
pool of the Django cache (django-redis): one pool per process, thread-safe, so the consumer
threads' blocking reads and the views' short commands never open a connection each. Asyncio
code (the ingest and OFREP front doors, server-sent events) needs a client bound to its own
event loop, so it asks for a new one and closes it when done.
"""

from __future__ import annotations

import redis.asyncio
from django.conf import settings
from django_redis import get_redis_connection


def redis_client() -> redis.Redis:
    return get_redis_connection("default")


def async_redis_client(**options) -> redis.asyncio.Redis:
    """A new asyncio client; the caller closes it (`await client.aclose()`)."""
    return redis.asyncio.from_url(settings.REDIS_URL, **options)
