"""projects.throttle: hits per key in a window opened by the first hit, in the Redis cache."""

import pytest
from django.core.cache import cache

from projects.throttle import Throttle

pytestmark = pytest.mark.django_db  # the Redis keys are cleaned like the database's


def test_a_key_is_refused_once_it_reaches_its_count_until_its_window_closes():
    throttle = Throttle("test", count=3, seconds=600)
    assert [throttle.hit("k") for _ in range(3)] == [1, 2, 3]
    assert 0 < throttle.retry_after("k") <= 600
    assert throttle.retry_after("other") == 0
    assert 0 < cache.ttl(throttle._key("k")) <= 600  # the window closes by itself


def test_below_its_count_a_key_may_go_on():
    throttle = Throttle("test", count=3, seconds=600)
    throttle.hit("k")
    throttle.hit("k")
    assert throttle.retry_after("k") == 0


def test_reset_forgets_the_hits():
    throttle = Throttle("test", count=1, seconds=600)
    throttle.hit("k")
    throttle.reset("k")
    assert throttle.retry_after("k") == 0


def test_keys_are_hashed_so_secrets_never_become_redis_key_names():
    throttle = Throttle("test", count=1, seconds=600)
    throttle.hit("sytrg_secret-token")
    assert "secret" not in throttle._key("sytrg_secret-token")
    assert throttle.retry_after("sytrg_secret-token") > 0
