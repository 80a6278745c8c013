import pytest
import redis
from django.conf import settings

from flags import cache, sdk_keys
from flags.testing import flag_override  # noqa: F401  (the fixture, for tests/flags/test_testing.py)


def clear_flags_redis() -> None:
    """Deletes the flags keys only: other parts of the run (a live worker's streams) keep theirs."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    for pattern in ("switchyard:flags:*", "switchyard:*:flags:*"):
        keys = list(client.scan_iter(match=pattern, count=1000))
        if keys:
            client.delete(*keys)


@pytest.fixture(autouse=True)
def clean_flags_state():
    """Each test starts with no flag configuration in Redis and empty per-process memos: the
    test database is rolled back between tests, so ids (and cache keys) come round again."""
    clear_flags_redis()
    cache.forget_memo()
    sdk_keys.forget_local()
    yield
    cache.forget_memo()
    sdk_keys.forget_local()


@pytest.fixture
def raw_redis():
    return redis.Redis.from_url(settings.REDIS_URL)
