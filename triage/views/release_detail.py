"""A release's page (/projects/<id>/releases/<version>/) and its charts' figures."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from projects.access import project_member_required
from triage.models import Release
from triage.pages import as_context
from triage.pages.release_detail import RANGES, events_figure, health_figure, release_detail_page

FIGURES = {"events": events_figure, "health": health_figure}


@login_required
@require_GET
@project_member_required
def release_detail(request, project, version: str):
    release = get_object_or_404(Release, project=project, version=version)
    return render(request, "triage/release_detail.html", as_context(release_detail_page(release)))


@login_required
@require_GET
@project_member_required
def release_chart(request, project):
    """?version=&kind=events|health&range=24h|7d|30d|90d → Plotly figure JSON."""
    kind, range_name = request.GET.get("kind", ""), request.GET.get("range", "24h")
    if kind not in FIGURES or range_name not in RANGES:
        return JsonResponse({"detail": f"kind must be one of {', '.join(FIGURES)}; range one of {', '.join(RANGES)}"}, status=400)
    release = get_object_or_404(Release, project=project, version=request.GET.get("version", ""))
    return JsonResponse(FIGURES[kind](release, range_name, timezone.now()))
