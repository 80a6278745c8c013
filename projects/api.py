"""Plumbing shared by the JSON APIs of triage and flags: bearer tokens, JSON errors, pages.

An API view is wrapped in `token_required`, which authenticates, and answers the access
checks' 404 and 403 (projects.access) as JSON, so a view loads what it needs with the same
helpers as the pages and never builds an error by hand for them.
"""

from __future__ import annotations

import json
import re
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.core.paginator import EmptyPage, Page, Paginator
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from projects.tokens import user_for_token

PAGE_SIZE = 100


class BadRequest(ValueError):
    """Raised by a view for input it refuses; token_required answers 400 with its message."""


def error(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def token_required(view):
    """Authenticates `Authorization: Bearer <token>`; the view gets request.user set."""

    @csrf_exempt  # bearer tokens are not sent by browsers on their own, so CSRF does not apply
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        user = user_for_token(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        if user is None:
            response = error(401, "a valid bearer token is required (manage.py create_token USERNAME)")
            response["WWW-Authenticate"] = "Bearer"
            return response
        request.user = user
        try:
            return view(request, *args, **kwargs)
        except Http404 as exc:
            return error(404, str(exc) or "not found")
        except PermissionDenied as exc:
            return error(403, str(exc) or "permission denied")
        except BadRequest as exc:
            return error(400, str(exc))

    return wrapper


def json_body(request) -> dict:
    """The request body as a JSON object whose text PostgreSQL can store; BadRequest otherwise.

    JSON may escape a NUL ("\\u0000") or a lone surrogate ("\\ud800"); PostgreSQL refuses both, so
    the first write of such a value answered 500. Checking here covers every API that takes a body.
    """
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, RecursionError):  # UnicodeDecodeError included; RecursionError: nested too deep
        raise BadRequest("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    if not all(map(is_storable, _strings(body))):
        raise BadRequest("text in the body may not contain NUL characters or lone surrogates")
    return body


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def is_storable(text: str) -> bool:
    """Whether PostgreSQL can store the text: no NUL, and nothing UTF-8 cannot encode."""
    return _UNSTORABLE.search(text) is None


def storable(text: str) -> str:
    """The text with NUL dropped and lone surrogates replaced by U+FFFD."""
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", text)


def _strings(value):
    """Every string and key in a parsed JSON value, without recursion (the parser allows ~1,000 levels)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            yield from item.keys()
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def paginate(request, queryset) -> Page:
    """The page asked for by `?page=`; BadRequest when it is not a page of the results."""
    try:
        return Paginator(queryset, PAGE_SIZE).page(int(request.GET.get("page", "1")))
    except (ValueError, EmptyPage):
        raise BadRequest("page out of range") from None


def page_json(page: Page, serialize) -> JsonResponse:
    return JsonResponse({"results": [serialize(o) for o in page], "page": page.number, "pages": page.paginator.num_pages})
