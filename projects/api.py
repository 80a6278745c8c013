"""Plumbing shared by the JSON APIs of triage and flags: bearer tokens, JSON errors, pages.

An API view is wrapped in `token_required`, which authenticates, and answers the access
checks' 404 and 403 (projects.access) as JSON, so a view loads what it needs with the same
helpers as the pages and never builds an error by hand for them.
"""

from __future__ import annotations

import json
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
    """The request body as a JSON object; BadRequest otherwise."""
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:  # UnicodeDecodeError included
        raise BadRequest("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def paginate(request, queryset) -> Page:
    """The page asked for by `?page=`; BadRequest when it is not a page of the results."""
    try:
        return Paginator(queryset, PAGE_SIZE).page(int(request.GET.get("page", "1")))
    except (ValueError, EmptyPage):
        raise BadRequest("page out of range") from None


def page_json(page: Page, serialize) -> JsonResponse:
    return JsonResponse({"results": [serialize(o) for o in page], "page": page.number, "pages": page.paginator.num_pages})
