"""The DSN key cache: a process-local second, a shared Redis hash, the database behind both."""

import fakeredis
import pytest
from asgiref.sync import async_to_sync

from triage.keys import KEYS_HASH, KeyCache, publish_key
from triage.projects import add_key, revoke_key

pytestmark = pytest.mark.django_db


def lookup(cache, client, key, now):
    return async_to_sync(cache.project_for)(client, key, now)


def test_unknown_key_is_looked_up_in_the_database_once_then_served_from_redis(project, django_assert_num_queries):
    client = fakeredis.FakeAsyncRedis()
    key = project.keys.first()
    with django_assert_num_queries(1):
        assert lookup(KeyCache(ttl=1.0), client, key.public_key, now=0.0) == project.id
    with django_assert_num_queries(0):
        assert lookup(KeyCache(ttl=1.0), client, key.public_key, now=0.0) == project.id  # another process


def test_revoked_key_is_refused_once_the_local_second_has_passed(project):
    server = fakeredis.FakeServer()
    client, sync_client = fakeredis.FakeAsyncRedis(server=server), fakeredis.FakeRedis(server=server)
    key = add_key(project, "ci")
    cache = KeyCache(ttl=1.0)
    assert lookup(cache, client, key.public_key, now=100.0) == project.id
    revoke_key(key)
    publish_key(sync_client, key.public_key, None)  # what the on-commit signal handler does
    assert lookup(cache, client, key.public_key, now=100.5) == project.id  # still inside its second
    assert lookup(cache, client, key.public_key, now=101.01) is None


def test_bogus_keys_are_remembered_as_unknown_so_a_flood_skips_the_database(project, django_assert_num_queries):
    client = fakeredis.FakeAsyncRedis()
    lookup(KeyCache(ttl=1.0), client, "f" * 32, now=0.0)
    with django_assert_num_queries(0):
        assert lookup(KeyCache(ttl=1.0), client, "f" * 32, now=5.0) is None
    assert async_to_sync(client.hget)(KEYS_HASH, "f" * 32) == b"0"


def test_a_key_created_after_a_miss_is_published_and_accepted(project, django_capture_on_commit_callbacks, settings):
    import redis

    real = redis.Redis.from_url(settings.REDIS_URL)
    real.hset(KEYS_HASH, "will-be-created", 0)
    with django_capture_on_commit_callbacks(execute=True):
        key = add_key(project)
    assert int(real.hget(KEYS_HASH, key.public_key)) == project.id
