"""config.redis_clients.run_scripts against the real Redis: one round trip, and a script Redis
has never seen (or forgot on a restart) is loaded and run exactly once."""

import uuid

import pytest
import redis.asyncio

from config.redis_clients import run_scripts
from tests.config.test_edge import run

pytestmark = pytest.mark.django_db


def count_script(client):
    # A comment no other test shares: a script this Redis has never loaded, so EVALSHA says NOSCRIPT.
    return client.register_script(f"-- {uuid.uuid4()}\nreturn redis.call('INCR', KEYS[1])")


def test_an_unloaded_script_is_loaded_and_run_once(settings, redis_client):
    key = f"switchyard:test:run-scripts:{uuid.uuid4()}"

    async def go():
        client = redis.asyncio.from_url(settings.REDIS_URL)
        try:
            script = count_script(client)
            first = await run_scripts(client, [(script, [key], []), (script, [key], [])])
            again = await run_scripts(client, [(script, [key], [])])
            return first, again
        finally:
            await client.aclose()

    first, again = run(go())
    assert first == [1, 2]
    assert again == [3]
    assert int(redis_client.get(key)) == 3


def test_a_script_error_is_raised_after_the_other_calls_ran(settings, redis_client):
    key = f"switchyard:test:run-scripts:{uuid.uuid4()}"

    async def go():
        client = redis.asyncio.from_url(settings.REDIS_URL)
        try:
            failing = client.register_script("return redis.error_reply('refused')")
            await run_scripts(client, [(count_script(client), [key], []), (failing, [], [])])
        finally:
            await client.aclose()

    with pytest.raises(redis.ResponseError, match="refused"):
        run(go())
    assert int(redis_client.get(key)) == 1
