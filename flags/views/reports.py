"""Read-only pages: the project's flag audit log (HTML or JSON export) and stale flags."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone

from config.redis_clients import redis_client
from flags import audit, stale
from projects.access import project_member_required


@login_required
@project_member_required
def audit_log(request, project):
    """`?flag=<key>` for one flag; `?format=json` exports every matching row as JSON."""
    flag_key = request.GET.get("flag", "")
    rows = audit.changes_for(project, flag_key or None)
    if request.GET.get("format") == "json":
        response = JsonResponse({"project": project.id, "flag": flag_key or None,
                                 "changes": [audit.change_json(c) for c in rows.iterator()]})
        response["Content-Disposition"] = f'attachment; filename="flag-audit-{project.slug}.json"'
        return response
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return render(request, "flags/audit_log.html", {"project": project, "page": page, "flag_key": flag_key})


@login_required
@project_member_required
def stale_flags(request, project):
    redis = redis_client()
    context = {
        "project": project,
        "stale": stale.stale_flags(project, redis, timezone.now()),
        "unknown": stale.unknown_keys(project, redis),
    }
    return render(request, "flags/stale_flags.html", context)
