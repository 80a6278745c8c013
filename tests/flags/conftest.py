import pytest

from flags import cache, client
from flags.sdk_keys import sdk_key_cache
from flags.testing import flag_override  # noqa: F401  (the fixture, for tests/flags/test_testing.py)


@pytest.fixture(autouse=True)
def clean_flags_memos():
    """Each test starts with empty per-process memos (Redis is emptied by tests/conftest.py): the
    test database is rolled back between tests, so ids (and cache keys) come round again."""
    cache.forget_memo()
    sdk_key_cache.forget()
    client._project_ids.clear()
    yield
    cache.forget_memo()
    sdk_key_cache.forget()
    client._project_ids.clear()
