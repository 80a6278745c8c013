"""Middleware every Django response passes through (the SDK and OFREP front doors bypass Django).

- `refuse_nul_in_url`: a NUL in the path or the query string answers 400 before any view runs.
  No stored value can contain one (ingest strips them, forms refuse them) and PostgreSQL refuses
  one in a query, so each view reading a parameter or a path segment answered 500 (issue 8).
  Once here rather than in GroupFilters, ListQuery and every other reader: URLs feed filters,
  ?event=, ?base=, flag keys in paths and more. JSON bodies are checked by projects.api.json_body.
- `content_security_policy`: the Content-Security-Policy header; templates have no inline script.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse


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
