"""The OFREP evaluation endpoints as a bare ASGI app in front of Django (config/asgi.py).

Django under ASGI runs each request through its sync middleware chain with ~30 thread
hand-offs (asgiref sync_to_async); profiled, that was 3–4 ms of CPU per request on a loaded
2-core machine, more than the evaluation itself (~0.3 ms for 50 flags). OFREP is the hot path,
so, like triage's ingest, it skips that: this app answers POST/OPTIONS on
/ofrep/v1/evaluate/flags[/<key>] with the same flags.ofrep.answers.answer the Django views use
(so the behaviour is the same, and tests of the views cover it), in one worker thread hop, and
passes everything else (the change stream, other paths) to the next app.
"""

from __future__ import annotations

import re

from asgiref.sync import sync_to_async

from config import edge
from flags.ofrep.answers import MAX_BODY, Answer, answer, too_large

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
        headers = edge.headers(scope)
        try:
            body = await edge.read_body(receive, headers, MAX_BODY)
        except edge.BodyTooLarge:
            result = too_large(match["key"])
        except edge.BadRequestBody:
            return  # the client went away or lied about the length: nobody to answer
        else:
            result = await self.answer(scope["method"], match["key"], headers, body)
        await _send(send, result)


async def _send(send, result: Answer) -> None:
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in result.headers.items()]
    await edge.respond(send, result.status, result.body, raw)
