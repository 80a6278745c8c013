"""Calls an ASGI app in-process, the way uvicorn would, for tests that need no network."""

from __future__ import annotations

import json
from dataclasses import dataclass

from asgiref.sync import async_to_sync


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


def post(app, path: str, body: bytes = b"", headers: dict[str, str] | None = None, query: str = "", method="POST"):
    """async_to_sync runs the app's sync_to_async DB reads on this thread, inside the test's
    transaction; a fresh Redis client per call because each call gets its own event loop."""
    app._redis = app._append = None
    return async_to_sync(_call)(app, method, path, body, headers or {}, query)


async def _call(app, method, path, body, headers, query):
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": query.encode(),
        "headers": [(k.lower().encode(), v.encode("latin-1")) for k, v in headers.items()],
    }
    delivered = False

    async def receive():
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    sent = []

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    start = sent[0]
    response_headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return Response(start["status"], response_headers, b"".join(m.get("body", b"") for m in sent[1:]))
