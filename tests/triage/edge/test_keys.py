"""The DSN key cache: a process-local second, a shared Redis hash, the database behind both."""

import fakeredis
import pytest
from asgiref.sync import async_to_sync

from triage.edge.keys import KEYS_HASH, add_key, dsn_key_cache, project_for_key, publish_key, revoke_key

pytestmark = pytest.mark.django_db


def lookup(cache, client, key, now):
    return async_to_sync(project_for_key)(cache, client, key, now)


def test_unknown_key_is_looked_up_in_the_database_once_then_served_from_redis(project, django_assert_num_queries):
    client = fakeredis.FakeAsyncRedis()
    key = project.keys.first()
    with django_assert_num_queries(1):
        assert lookup(dsn_key_cache(), client, key.public_key, now=0.0) == project.id
    with django_assert_num_queries(0):
        assert lookup(dsn_key_cache(), client, key.public_key, now=0.0) == project.id  # another process


def test_revoked_key_is_refused_once_the_local_second_has_passed(project):
    server = fakeredis.FakeServer()
    client, sync_client = fakeredis.FakeAsyncRedis(server=server), fakeredis.FakeRedis(server=server)
    key = add_key(project, "ci")
    cache = dsn_key_cache()
    assert lookup(cache, client, key.public_key, now=100.0) == project.id
    revoke_key(key)
    publish_key(sync_client, key.public_key, None)  # what the on-commit signal handler does
    assert lookup(cache, client, key.public_key, now=100.5) == project.id  # still inside its second
    assert lookup(cache, client, key.public_key, now=101.01) is None


def test_unknown_keys_are_remembered_for_a_minute_so_a_flood_skips_the_database(project, django_assert_num_queries):
    client = fakeredis.FakeAsyncRedis()
    cache = dsn_key_cache()
    lookup(cache, client, "f" * 32, now=0.0)
    with django_assert_num_queries(0):
        assert lookup(dsn_key_cache(), client, "f" * 32, now=5.0) is None
    assert async_to_sync(client.hget)(KEYS_HASH, "f" * 32) is None  # nothing kept for good
    assert 0 < async_to_sync(client.ttl)(cache.unknown_key("f" * 32)) <= cache.NEGATIVE_SECONDS


def test_a_key_created_after_a_miss_is_published_and_accepted(project, django_capture_on_commit_callbacks, redis_client):
    redis_client.hset(KEYS_HASH, "will-be-created", 0)
    with django_capture_on_commit_callbacks(execute=True):
        key = add_key(project)
    assert int(redis_client.hget(KEYS_HASH, key.public_key)) == project.id


def test_every_new_project_gets_a_first_dsn_key(project):
    assert [k.label for k in project.keys.all()] == ["Default"]
