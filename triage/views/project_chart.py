"""The project's error chart's figure (/projects/<id>/chart/), shown above the group list."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from config.redis_clients import redis_client
from projects.access import project_member_required
from triage.pages.project_chart import RANGES, cached_project_figure


@login_required
@require_GET
@project_member_required
def project_chart(request, project):
    """?range=1h|24h|7d|14d → Plotly figure JSON."""
    range_name = request.GET.get("range", "1h")
    if range_name not in RANGES:
        return JsonResponse({"detail": f"range must be one of {', '.join(RANGES)}"}, status=400)
    return JsonResponse(cached_project_figure(redis_client(), project, range_name, timezone.now()))
