"""The first-run page of a project: its DSN and the three lines that send a first event."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from triage.access import project_for_user
from triage.views.context import first_run_context


@login_required
def project_start(request, project_id: int):
    project = project_for_user(request.user, project_id)
    context = first_run_context(type(project).objects.filter(id=project.id))
    context["single"] = project
    return render(request, "triage/first_run.html", context)
