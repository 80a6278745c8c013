"""config.redis_clients.run_scripts against the real Redis: one round trip, and a script Redis
has never seen (or forgot on a restart) is loaded and run exactly once."""

import subprocess
import sys
import uuid

import pytest
import redis.asyncio

from config.redis_clients import is_cluster_url, parse_cluster_url, run_scripts
from tests.config.test_edge import run
from tests.live import ROOT

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


def test_a_cluster_url_names_its_nodes_credentials_and_tls():
    parsed = parse_cluster_url("rediss+cluster://app:s%40cret@10.0.0.1:7000,10.0.0.2:7001/")
    assert parsed.nodes == [("10.0.0.1", 7000), ("10.0.0.2", 7001)]
    assert (parsed.username, parsed.password, parsed.ssl) == ("app", "s@cret", True)
    assert parse_cluster_url("redis+cluster://h:1").nodes == [("h", 1)] and not parse_cluster_url("redis+cluster://h:1").ssl
    assert is_cluster_url("redis+cluster://h:1") and not is_cluster_url("redis://h:1/0")


@pytest.mark.parametrize("url", ["redis://h:1", "redis+cluster://h", "redis+cluster://h:1/2", "redis+cluster://h:x,k:2"])
def test_a_malformed_cluster_url_is_refused(url):
    with pytest.raises(ValueError):
        parse_cluster_url(url)


@pytest.mark.parametrize("broker", ["", "redis+cluster://127.0.0.1:7000"])
def test_a_cluster_redis_url_needs_a_single_redis_broker(broker):
    """Celery's Redis transport cannot use a cluster: the settings refuse to start without a broker of its own."""
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "s", "HOME": "/tmp",
           "REDIS_URL": "redis+cluster://127.0.0.1:7000,127.0.0.1:7001"}
    if broker:
        env["CELERY_BROKER_URL"] = broker
    out = subprocess.run([sys.executable, "-c", "import django; django.setup()"], capture_output=True, text=True, env=env,
                         cwd=ROOT)
    assert out.returncode != 0 and "set CELERY_BROKER_URL to a single Redis" in out.stderr
    env["CELERY_BROKER_URL"] = "redis://127.0.0.1:6379/0"
    subprocess.run([sys.executable, "-c", "import django; django.setup()"], check=True, env=env, cwd=ROOT)
