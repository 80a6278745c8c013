"""flags.ofrep.asgi.OfrepApp, the bare-ASGI front door config/asgi.py puts before Django, answers
exactly as the Django views do."""

import asyncio
import json
import threading

import pytest

from flags.ofrep.asgi import OfrepApp
from tests.asgi import _call
from tests.flags.factories import make_flag, make_sdk_key

pytestmark = [pytest.mark.django_db(transaction=True)]  # answers run in a worker thread


def post(app, path, body=b"", headers=None, method="POST"):
    """Calls the app on a fresh event loop in its own thread, as uvicorn would; not
    async_to_sync, which refuses to run while Playwright's loop is up in this thread."""
    result = {}
    thread = threading.Thread(target=lambda: result.update(r=asyncio.run(_call(app, method, path, body, headers or {}, ""))))
    thread.start()
    thread.join(30)
    return result["r"]


class Fallback:
    def __init__(self):
        self.paths = []

    async def __call__(self, scope, receive, send):
        self.paths.append((scope["type"], scope.get("path")))
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b"fallback"})


@pytest.fixture
def app():
    return OfrepApp(Fallback())


def auth(key):
    return {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}


def test_single_evaluation_is_answered_without_django(app, project):
    make_flag(project, "team/new-checkout")
    key = make_sdk_key(project)
    response = post(app, "/ofrep/v1/evaluate/flags/team/new-checkout", b'{"context":{"targetingKey":"u1"}}', auth(key))
    assert response.status == 200
    assert response.json()["key"] == "team/new-checkout" and response.json()["value"] is True
    assert response.headers["content-type"] == "application/json"
    assert app.fallback.paths == []


def test_errors_are_the_same_json_as_the_views(app, project):
    key = make_sdk_key(project)
    missing = post(app, "/ofrep/v1/evaluate/flags/nope", b"{}", auth(key))
    assert (missing.status, missing.json()["errorCode"]) == (404, "FLAG_NOT_FOUND")
    bad = post(app, "/ofrep/v1/evaluate/flags/nope", b"{", auth(key))
    assert (bad.status, bad.json()["errorCode"]) == (400, "PARSE_ERROR")
    big = post(app, "/ofrep/v1/evaluate/flags/nope", b'{"context":{"x":"' + b"a" * 300_000 + b'"}}', auth(key))
    assert (big.status, big.json()["errorCode"]) == (400, "PARSE_ERROR")
    assert post(app, "/ofrep/v1/evaluate/flags/nope", b"{}", {}).status == 401


def test_bulk_answers_with_an_etag_and_304(app, project):
    make_flag(project, "new-checkout")
    key = make_sdk_key(project)
    first = post(app, "/ofrep/v1/evaluate/flags", b"{}", auth(key))
    assert json.loads(first.body)["flags"][0]["key"] == "new-checkout"
    again = post(app, "/ofrep/v1/evaluate/flags", b"{}", {**auth(key), "If-None-Match": first.headers["etag"]})
    assert (again.status, again.body) == (304, b"")


def test_everything_else_goes_to_the_next_app(app):
    post(app, "/ofrep/v1/stream", b"", {}, method="GET")
    post(app, "/ofrep/v1/evaluate/flags/x", b"", {}, method="GET")
    post(app, "/api/1/envelope/", b"", {})
    assert [p for _, p in app.fallback.paths] == ["/ofrep/v1/stream", "/ofrep/v1/evaluate/flags/x", "/api/1/envelope/"]
