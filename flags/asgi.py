"""The OFREP evaluation endpoints as a bare ASGI app in front of Django (optional).

Django under ASGI runs each request through its sync middleware chain with ~30 thread
hand-offs (asgiref sync_to_async); profiled, that was 3–4 ms of CPU per request on a loaded
2-core machine, more than the evaluation itself (~0.3 ms for 50 flags). OFREP is the hot path,
so, like triage's ingest, it can skip that: this app answers POST/OPTIONS on
/ofrep/v1/evaluate/flags[/<key>] with the same flags.answers.answer the Django views use (so
the behaviour is the same, and tests of the views cover it), in one worker thread hop, and
passes everything else to the next app. Wire it in config/asgi.py:

    application = OfrepApp(IngestApp(fallback=django_application))
"""

from __future__ import annotations

import re

from asgiref.sync import sync_to_async

from flags.answers import MAX_BODY, answer

PATH = re.compile(r"^/ofrep/v1/evaluate/flags(?:/(?P<key>.+))?$")  # the same paths as flags.urls


class OfrepApp:
    def __init__(self, fallback):
        self.fallback = fallback
        # Not thread-sensitive: any pool thread may answer; the DB is touched only on a miss.
        self.answer = sync_to_async(answer, thread_sensitive=False)

    async def __call__(self, scope, receive, send):
        match = PATH.match(scope.get("path", "")) if scope["type"] == "http" else None
        if match is None or scope["method"] not in ("POST", "OPTIONS"):
            return await self.fallback(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        body = await _read_body(receive, MAX_BODY + 1)
        result = await self.answer(scope["method"], match["key"], headers, body)
        raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in result.headers.items()]
        raw_headers.append((b"content-length", str(len(result.body)).encode()))
        await send({"type": "http.response.start", "status": result.status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": result.body})


async def _read_body(receive, limit: int) -> bytes:
    """At most `limit` bytes (flags.answers refuses anything over MAX_BODY)."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b""
        chunk = message.get("body", b"")
        if size < limit:
            chunks.append(chunk[: limit - size])
        size += len(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)
