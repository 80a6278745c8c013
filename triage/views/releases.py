"""Releases: each with its errors, new and regressed groups; two compared."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from triage.models import Release
from triage.projects import projects_for
from triage.releases import compare_releases, release_summaries
from triage.views.common import chosen_project


@login_required
def release_list(request):
    projects = list(projects_for(request.user))
    project = chosen_project(projects, request.GET.get("project", ""))
    summaries = release_summaries(project.id) if project else []
    return render(request, "triage/release_list.html", {"projects": projects, "project": project, "summaries": summaries})


@login_required
def release_compare(request):
    projects = list(projects_for(request.user))
    project = chosen_project(projects, request.GET.get("project", ""))
    releases = Release.objects.filter(project=project)
    base = get_object_or_404(releases, version=request.GET.get("base", ""))
    target = get_object_or_404(releases, version=request.GET.get("target", ""))
    context = {"project": project, "comparison": compare_releases(base, target), "versions": releases.values_list("version", flat=True)[:100]}
    return render(request, "triage/release_compare.html", context)
