"""The releases pages (/releases/, /releases/compare/): each release's errors; two compared."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from projects.members import projects_for
from triage.models import Release
from triage.pages import as_context
from triage.pages.releases import release_compare_page, release_list_page
from triage.views.common import chosen_project


@login_required
def release_list(request):
    projects = list(projects_for(request.user))
    page = release_list_page(projects, chosen_project(projects, request.GET.get("project", "")))
    return render(request, "triage/release_list.html", as_context(page))


@login_required
def release_compare(request):
    projects = list(projects_for(request.user))
    project = chosen_project(projects, request.GET.get("project", ""))
    releases = Release.objects.filter(project=project)
    base = get_object_or_404(releases, version=request.GET.get("base", ""))
    target = get_object_or_404(releases, version=request.GET.get("target", ""))
    return render(request, "triage/release_compare.html", as_context(release_compare_page(project, base, target)))
