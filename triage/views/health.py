"""GET /health/: the pipeline's health as JSON, without login (counts and ages only: see
triage.health). 200 when "ok", 503 when "degraded", so a probe needs no parsing."""

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.redis_clients import redis_client
from triage.health import current_health


@never_cache
@require_GET
def health(request):
    report = current_health(redis_client())
    return JsonResponse(report.as_json(), status=200 if report.ok else 503)
