"""Middleware every Django response passes through (the SDK and OFREP front doors bypass Django).

- `refuse_nul_in_url`: a NUL in the path or the query string answers 400 before any view runs.
  No stored value can contain one (ingest strips them, forms refuse them) and PostgreSQL refuses
  one in a query, so each view reading a parameter or a path segment answered 500 (issue 8).
  Once here rather than in GroupFilters, ListQuery and every other reader: URLs feed filters,
  ?event=, ?base=, flag keys in paths and more. JSON bodies are checked by projects.api.json_body.
- `content_security_policy`: the Content-Security-Policy header; templates have no inline script.
- `StaticFilesMiddleware`: WhiteNoise, streaming files asynchronously under ASGI.
"""

from __future__ import annotations

from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpResponseBadRequest, JsonResponse
from whitenoise.middleware import WhiteNoiseMiddleware

STATIC_CHUNK = 64 * 1024


def _has_nul(request) -> bool:
    return "\x00" in request.path or any(
        "\x00" in name or any("\x00" in value for value in values) for name, values in request.GET.lists()
    )


def refuse_nul_in_url(get_response):
    def middleware(request):
        if _has_nul(request):
            detail = "NUL characters are not allowed in the URL"
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": detail}, status=400)  # as projects.api answers
            return HttpResponseBadRequest(detail, content_type="text/plain")
        return get_response(request)

    return middleware


def content_security_policy(get_response):
    def middleware(request):
        response = get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response

    return middleware


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """WhiteNoise, whose file responses iterate a file synchronously. Under ASGI Django then reads
    the whole file in a worker thread and warns "StreamingHttpResponse must consume synchronous
    iterators" (printed at every `make run` start). Under ASGI the file is read by an async
    iterator instead; under WSGI and the test client the response stays as WhiteNoise makes it.
    WhiteNoise 6 has no async support of its own: https://github.com/evansd/whitenoise/pull/359 is
    still open (its author forked it as ServeStatic)."""

    @staticmethod
    def serve(static_file, request):
        response = WhiteNoiseMiddleware.serve(static_file, request)
        if isinstance(request, ASGIRequest):
            # The file stays open until Django closes the response (FileResponse registered it).
            response.streaming_content = _read_async(response.file_to_stream)
        return response


async def _read_async(file):
    """The file's bytes in chunks. Plain reads: static files are small and sit in the page cache,
    so a read returns in microseconds; a thread hop per chunk would cost more than it saves."""
    if file is None:  # HEAD and 304 answers have no body
        return
    while chunk := file.read(STATIC_CHUNK):
        yield chunk
