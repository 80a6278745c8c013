"""Bad input over real HTTP to the running server: the status a Sentry client understands, and
nothing written."""

import gzip
import json
import urllib.error
import urllib.request

import pytest

from tests.factories import envelope, make_event, make_project
from triage import stream

pytestmark = [pytest.mark.integration]


def post(url: str, body: bytes, headers: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def auth(key) -> dict:
    return {"X-Sentry-Auth": f"Sentry sentry_key={key.public_key}, sentry_version=7", "Content-Type": "application/x-sentry-envelope"}


def test_bad_requests_get_sentry_statuses_and_write_nothing(live_stack, project, settings):
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)

    def last_id():  # the live worker may (re)create the empty stream at any moment: "0-0" either way
        return client.xinfo_stream(stream.EVENTS)["last-generated-id"] if client.exists(stream.EVENTS) else b"0-0"

    before = last_id()
    url = f"{live_stack.url}/api/{project.id}/envelope/"
    other = make_project("billing")
    bomb = gzip.compress(b'{}\n{"type":"event"}\n{"x":"' + b"A" * 150_000_000 + b'"}\n')
    cases = [
        (envelope(make_event()), {}, 401),
        (envelope(make_event()), {"X-Sentry-Auth": "Sentry sentry_key=" + "0" * 32}, 401),
        (envelope(make_event()), auth(other.keys.first()), 403),
        (b"{not json", auth(project.keys.first()), 400),
        (b'{}\n{"type":"event","length":2}\n[]', auth(project.keys.first()), 400),
        (bomb, {**auth(project.keys.first()), "Content-Encoding": "gzip"}, 413),
    ]
    for body, headers, status in cases:
        got, reply = post(url, body, headers)
        assert (got, "detail" in reply) == (status, True), (status, reply)
    assert last_id() == before  # nothing was appended
