"""OFREP endpoints as Django views: single and bulk evaluation (flags.ofrep.answers does the work),
the change stream, and a JSON 404 for any other path under /ofrep/."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt

from flags.ofrep import protocol, sse
from flags.ofrep.answers import Answer, answer, error_answer, too_large
from flags.ofrep.protocol import GENERAL, OfrepError
from flags.sdk_keys import key_info, key_is_active


def to_response(result: Answer) -> HttpResponse:
    response = HttpResponse(result.body, status=result.status)
    if "Content-Type" not in result.headers:
        del response["Content-Type"]
    for name, value in result.headers.items():
        response[name] = value
    # A 404 for an unknown flag or a 400 for a missing targeting key is an answer, not an
    # incident: an app asking 1,000 times a second must not write 1,000 log lines a second.
    response._has_been_logged = True
    return response


def _answer(request, key: str | None) -> HttpResponse:
    try:
        body = request.body
    except RequestDataTooBig:
        return to_response(too_large(key))
    return to_response(answer(request.method, key, request.headers, body))


@csrf_exempt  # SDK keys, not cookies
def evaluate_flag(request, key: str):
    return _answer(request, key)


@csrf_exempt
def evaluate_flags(request):
    return _answer(request, None)


@csrf_exempt
def not_found(request, rest: str = ""):
    """Any other path under /ofrep/: JSON, never Django's HTML 404."""
    return to_response(error_answer(OfrepError(404, GENERAL, f"no OFREP endpoint at /ofrep/{rest}")))


async def change_stream(request):
    """GET: text/event-stream of the environment's changes (see flags.ofrep.sse)."""
    if request.method == "OPTIONS":
        return to_response(answer("OPTIONS", None, {}, b""))
    if request.method != "GET":
        return to_response(error_answer(OfrepError(405, GENERAL, "use GET")))
    target = sse.read_stream_token(request.GET.get("token", ""))
    if target is not None and not await sync_to_async(key_is_active)(target[3]):
        target = None  # the token outlives a revoked key, the stream does not
    if target is None:
        plaintext = protocol.bearer_key(request.headers.get("Authorization", ""), request.headers.get("X-API-Key", ""))
        info = await sync_to_async(key_info)(plaintext) if plaintext else None
        target = (info.project_id, info.environment, info.kind, info.key_id) if info else None
    if target is None:
        return to_response(error_answer(OfrepError(401, GENERAL, "a valid SDK key or stream token is required")))
    try:
        stream = sse.hub.open(*target)
    except sse.TooManyStreams:
        return to_response(error_answer(OfrepError(429, GENERAL, "too many open change streams for this key"), **{"Retry-After": "60"}))
    response = StreamingHttpResponse(sse.change_events(stream), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: do not buffer the stream
    response["Access-Control-Allow-Origin"] = "*"
    return response
