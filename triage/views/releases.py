"""The releases pages (/releases/, /releases/compare/): each release's errors; two compared."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from projects.members import projects_for
from triage.pages import as_context
from triage.pages.releases import compared_project, release_compare_page, release_list_page
from triage.views.common import chosen_project


@login_required
def release_list(request):
    projects = list(projects_for(request.user))
    page = release_list_page(projects, chosen_project(request, projects, request.GET.get("project", "")))
    return render(request, "triage/release_list.html", as_context(page))


@login_required
def release_compare(request):
    projects = list(projects_for(request.user))
    base, target, wanted = request.GET.get("base", ""), request.GET.get("target", ""), request.GET.get("project", "")
    project = chosen_project(request, projects, wanted)
    if not wanted:  # the URL the README gives names the versions only: find the project that has them
        project = compared_project(projects, project, base, target)
    page = release_compare_page(project, base, target)
    # Versions that are not the project's releases: the page says so and offers its releases, a
    # 404 of its own (a raised Http404 is, under DEBUG, Django's page listing every URL pattern).
    return render(request, "triage/release_compare.html", as_context(page), status=200 if page.comparison else 404)
