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


async def run_scripts(client: redis.asyncio.Redis, calls: list[tuple]) -> list:
    """Runs Lua scripts in one round trip: `calls` are (Script, keys, args), the results come in
    their order. redis-py's pipeline asks SCRIPT EXISTS before every execute that holds a script,
    a second round trip per ingest request; this sends EVALSHA alone and loads a script only when
    Redis answers NOSCRIPT (after a restart or SCRIPT FLUSH), then runs just those calls again:
    a NOSCRIPT call did nothing, so nothing runs twice."""
    results = await _evalsha_all(client, calls)
    missing = [i for i, result in enumerate(results) if isinstance(result, redis.exceptions.NoScriptError)]
    if missing:
        for script in {id(calls[i][0]): calls[i][0] for i in missing}.values():
            await client.script_load(script.script)
        for i, result in zip(missing, await _evalsha_all(client, [calls[i] for i in missing]), strict=True):
            results[i] = result
    for result in results:
        if isinstance(result, Exception):
            raise result
    return results


async def _evalsha_all(client, calls) -> list:
    pipe = client.pipeline(transaction=False)
    for script, keys, args in calls:
        pipe.evalsha(script.sha, len(keys), *keys, *args)
    return await pipe.execute(raise_on_error=False)
