"""Projects and their DSN keys: the list, creating one, its settings page (keys, quotas, alert rules), adding and revoking keys."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from config.redis_clients import redis_client
from projects.access import project_member_required, require_perm
from projects.members import create_project, projects_for
from projects.models import Project
from triage.edge import quotas
from triage.edge.keys import add_key, revoke_key
from triage.models import IssueTracker, ProjectKey
from triage.pages.alert_rules import rule_rows
from triage.views.alerts import AlertRuleForm
from triage.views.ownership import ownership_context


class ProjectForm(forms.Form):
    name = forms.CharField(max_length=100)


class KeyForm(forms.Form):
    label = forms.CharField(max_length=100, required=False)


class QuotaForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = ["event_quota_minute", "event_quota_hour", "event_quota_month"]


@login_required
def project_list(request):
    rows = projects_for(request.user).prefetch_related("keys")
    return render(request, "triage/project_list.html", {"projects": rows, "form": ProjectForm()})


@login_required
@require_POST
def project_create(request):
    require_perm(request.user, "projects.add_project")
    form = ProjectForm(request.POST)
    if not form.is_valid():
        messages.error(request, "A project needs a name.")
        return redirect("triage:project_list")
    project = create_project(form.cleaned_data["name"], members=[request.user])
    messages.success(request, f"Created {project.name}. Copy its DSN into sentry_sdk.init().")
    return redirect("triage:project_start", project_id=project.id)  # the DSN, the snippet, and a wait for the first event


@login_required
@project_member_required
def project_settings(request, project):
    context = {
        "project": project, "keys": project.keys.all(), "form": KeyForm(), "base_url": settings.SWITCHYARD_BASE_URL,
        "quotas": quotas.quota_rows(redis_client(), project, timezone.now()), "quota_form": QuotaForm(instance=project),
        "alert_rules": rule_rows(project), "alert_form": AlertRuleForm(), **ownership_context(project),
        "issue_tracker": IssueTracker.objects.filter(project=project).first(),
    }
    return render(request, "triage/project_settings.html", context)


@login_required
@require_POST
@project_member_required(perm="projects.change_project")
def quota_update(request, project):
    form = QuotaForm(request.POST, instance=project)
    if form.is_valid():
        form.save()  # triage.edge.signals publishes the quotas to ingest on commit
        messages.success(request, "Saved the quotas: ingest applies them within a second.")
    else:
        messages.error(request, "Quotas are whole numbers of events, 1 or more, or empty for none.")
    return redirect("triage:project_settings", project_id=project.id)


@login_required
@require_POST
@project_member_required(perm="triage.add_projectkey")
def key_create(request, project):
    form = KeyForm(request.POST)
    form.is_valid()
    add_key(project, form.cleaned_data.get("label", ""))
    messages.success(request, "Added a DSN key.")
    return redirect("triage:project_settings", project_id=project.id)


@login_required
@require_POST
@project_member_required(perm="triage.change_projectkey")
def key_revoke(request, project, key_id: int):
    revoke_key(get_object_or_404(ProjectKey, project=project, id=key_id))
    messages.success(request, "Revoked the key: the SDKs using it are refused within a second.")
    return redirect("triage:project_settings", project_id=project.id)
