"""The spike chart's data: Plotly figure JSON, cached per minute in Redis."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from triage import charts, details, stats
from triage.views.common import chart_generation, group_for_page, redis_client

CACHE_SECONDS = 120


@login_required
@require_GET
def group_chart(request, group_id: int):
    group = group_for_page(request.user, group_id)
    range_name = request.GET.get("range", "1h")
    if range_name not in charts.RANGES:
        return JsonResponse({"detail": f"range must be one of {', '.join(charts.RANGES)}"}, status=400)
    now = timezone.now()
    key = f"triage:chart:{group.id}:{range_name}:{stats.minute_of(now)}:{chart_generation(group.project_id)}"
    figure = cache.get(key)
    if figure is None:
        figure = details.group_figure(redis_client(), group, range_name, now)
        cache.set(key, figure, CACHE_SECONDS)
    return JsonResponse(figure)
