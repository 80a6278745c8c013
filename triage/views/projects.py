"""Projects and their DSN keys."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from triage import projects
from triage.access import project_for_user, require_perm
from triage.models import ProjectKey


class ProjectForm(forms.Form):
    name = forms.CharField(max_length=100)


class KeyForm(forms.Form):
    label = forms.CharField(max_length=100, required=False)


@login_required
def project_list(request):
    rows = projects.projects_for(request.user).prefetch_related("keys")
    return render(request, "triage/project_list.html", {"projects": rows, "form": ProjectForm()})


@login_required
@require_POST
def project_create(request):
    require_perm(request.user, "triage.add_project")
    form = ProjectForm(request.POST)
    if not form.is_valid():
        messages.error(request, "A project needs a name.")
        return redirect("triage:project_list")
    project = projects.create_project(form.cleaned_data["name"], members=[request.user])
    messages.success(request, f"Created {project.name}. Copy its DSN into sentry_sdk.init().")
    return redirect("triage:project_settings", project_id=project.id)


@login_required
def project_settings(request, project_id: int):
    project = project_for_user(request.user, project_id)
    context = {"project": project, "keys": project.keys.all(), "form": KeyForm(), "base_url": settings.SWITCHYARD_BASE_URL}
    return render(request, "triage/project_settings.html", context)


@login_required
@require_POST
def key_create(request, project_id: int):
    project = project_for_user(request.user, project_id)
    require_perm(request.user, "triage.add_projectkey")
    form = KeyForm(request.POST)
    form.is_valid()
    projects.add_key(project, form.cleaned_data.get("label", ""))
    messages.success(request, "Added a DSN key.")
    return redirect("triage:project_settings", project_id=project.id)


@login_required
@require_POST
def key_revoke(request, project_id: int, key_id: int):
    project = project_for_user(request.user, project_id)
    require_perm(request.user, "triage.change_projectkey")
    projects.revoke_key(get_object_or_404(ProjectKey, project=project, id=key_id))
    messages.success(request, "Revoked the key: the SDKs using it are refused within a second.")
    return redirect("triage:project_settings", project_id=project.id)
