"""flags.cache: the compiled configuration in Redis, its version memo, rebuilds and publishing."""

import pytest
from django.core.cache import cache as django_cache

from flags import cache, changes
from tests.flags.factories import make_flag


def test_load_compiles_from_the_database_once_then_answers_from_memory(project, django_assert_num_queries):
    make_flag(project, "new-checkout")
    first = cache.load(project.id, "production")
    with django_assert_num_queries(0):
        again = cache.load(project.id, "production")
    assert again is first and first.flags["new-checkout"]["enabled"] is True


def test_another_process_sees_a_published_change_on_its_next_load(project, bob):
    flag = make_flag(project, "new-checkout")
    before = cache.load(project.id, "production")
    changes.disable_flag(flag, "production", actor=bob, reason="errors", source="api")
    cache.publish(project.id, ["production"], {"flag": "new-checkout", "action": "disabled"})  # what on_commit runs
    after = cache.load(project.id, "production")
    assert after.version != before.version and after.flags["new-checkout"]["enabled"] is False


def test_an_evicted_version_key_is_restored_without_recompiling(project, django_assert_num_queries):
    make_flag(project, "new-checkout")
    version = cache.load(project.id, "production").version
    django_cache.delete(cache.version_key(project.id, "production"))
    with django_assert_num_queries(0):
        assert cache.load(project.id, "production").version == version
    assert django_cache.get(cache.version_key(project.id, "production")) == version


def test_when_redis_fails_the_last_configuration_is_served(project, monkeypatch):
    make_flag(project, "new-checkout")
    known = cache.load(project.id, "production")

    def down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(cache.cache, "get", down)
    assert cache.load(project.id, "production") is known
    cache.forget_memo()
    with pytest.raises(ConnectionError):
        cache.load(project.id, "production")  # nothing to fall back on: the view answers a JSON 500


def test_publish_never_raises(project, monkeypatch, caplog):
    def down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(cache, "_rebuild", down)
    cache.publish(project.id, ["production"], {"flag": "x", "action": "disabled"})
    assert "could not publish flag change" in caplog.text


def test_flags_without_a_state_in_the_environment_compile_as_off(project):
    make_flag(project, "new-checkout", environments={"production": {"enabled": True}})
    config = cache.load(project.id, "eu-canary")
    assert config.flags["new-checkout"]["enabled"] is False
    assert config.flags["new-checkout"]["metadata"] == {"owner": "alice", "kind": "release", "environment": "eu-canary"}
