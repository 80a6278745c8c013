"""config.edge: the plumbing both ASGI front doors share. Pure: no database, fakeredis."""

import asyncio
import threading

import fakeredis
import pytest

from config import edge


def run(coroutine):
    """asyncio.run on a thread of its own: Playwright's event loop may be running on this one."""
    result = {}

    def target():
        try:
            result["value"] = asyncio.run(coroutine)
        except BaseException as exc:  # re-raised on the test's thread
            result["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(30)
    if "error" in result:
        raise result["error"]
    return result["value"]


def chunks(*parts: bytes):
    """An ASGI receive() that delivers the body in parts, counting how many were read."""
    messages = [{"type": "http.request", "body": p, "more_body": i < len(parts) - 1} for i, p in enumerate(parts)]
    read = []

    async def receive():
        read.append(1)
        return messages[len(read) - 1]

    return receive, read


def read(receive, headers, limit):
    return run(edge.read_body(receive, headers, limit))


def test_a_body_within_the_limit_is_read_whole():
    receive, _ = chunks(b"ab", b"cd")
    assert read(receive, {}, 4) == b"abcd"


def test_a_declared_length_over_the_limit_is_refused_before_reading():
    receive, parts_read = chunks(b"x" * 10)
    with pytest.raises(edge.BodyTooLarge):
        read(receive, {"content-length": "10"}, 4)
    assert parts_read == []


def test_a_streamed_body_over_the_limit_is_refused_without_reading_the_rest():
    receive, parts_read = chunks(b"abc", b"def", b"ghi")
    with pytest.raises(edge.BodyTooLarge):
        read(receive, {}, 4)
    assert len(parts_read) == 2


def test_a_bad_content_length_or_a_disconnect_is_a_bad_request():
    receive, _ = chunks(b"a")
    with pytest.raises(edge.BadRequestBody):
        read(receive, {"content-length": "ten"}, 4)

    async def gone():
        return {"type": "http.disconnect"}

    with pytest.raises(edge.BadRequestBody):
        read(gone, {}, 4)


def test_headers_are_decoded_with_lower_case_names():
    assert edge.headers({"headers": [(b"X-Sentry-Auth", b"Sentry sentry_key=k")]}) == {"x-sentry-auth": "Sentry sentry_key=k"}


class Loader:
    def __init__(self, rows):
        self.rows, self.calls = rows, []

    def __call__(self, key):
        self.calls.append(key)
        return self.rows.get(key)


def test_the_key_cache_reads_the_database_once_then_redis_then_its_memo():
    loader, redis = Loader({"good": "7"}), fakeredis.FakeRedis()
    first, second = edge.HotKeyCache("keys", loader, ttl=lambda: 1.0), edge.HotKeyCache("keys", loader, ttl=lambda: 1.0)
    assert first.get(redis, "good", now=0.0) == b"7"
    assert second.get(redis, "good", now=0.0) == b"7"  # another process: from the shared hash
    assert loader.calls == ["good"]


def test_unknown_keys_are_cached_as_unknown_and_revocations_show_after_the_memo():
    loader, redis = Loader({"good": "7"}), fakeredis.FakeRedis()
    cache = edge.HotKeyCache("keys", loader, ttl=lambda: 1.0)
    assert cache.get(redis, "bogus", now=0.0) is None
    assert cache.get(redis, "bogus", now=5.0) is None and loader.calls == ["bogus"]
    assert cache.get(redis, "good", now=10.0) == b"7"
    cache.publish(redis, "good", None)  # revoked, on commit
    assert cache.get(redis, "good", now=10.5) == b"7"  # inside the memo's second
    assert cache.get(redis, "good", now=11.1) is None


def test_the_async_lookup_gives_the_same_answers():
    loader, redis = Loader({"good": "7"}), fakeredis.FakeAsyncRedis()
    cache = edge.HotKeyCache("keys", loader, ttl=lambda: 1.0)

    async def lookups():
        return [await cache.aget(redis, "good", now=0.0), await cache.aget(redis, "nope", now=0.0)]

    assert run(lookups()) == [b"7", None]
