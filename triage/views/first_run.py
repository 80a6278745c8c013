"""A project's first-run page (/projects/<id>/start/): its DSN and the three lines that send a first event."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from projects.access import project_member_required
from projects.models import Project
from triage.pages import as_context
from triage.pages.first_run import first_run_page


@login_required
@project_member_required
def project_start(request, project):
    page = first_run_page(Project.objects.filter(id=project.id), single=project)
    return render(request, "triage/first_run.html", as_context(page))
