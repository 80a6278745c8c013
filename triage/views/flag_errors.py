"""The flag errors page (/flag-errors/): each flag's error groups and error rates, and the kill.

The kill is POST only, CSRF-checked, needs `flags.change_flag` and membership of the flag's
project, and a reason; flags.changes writes the audit row and makes it effective at once.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from config.redis_clients import redis_client
from projects.access import project_member_required
from projects.members import projects_for
from triage import actions, flagstate
from triage.models import ErrorGroup
from triage.pages import as_context
from triage.pages.flag_errors import flag_errors_page
from triage.views.common import chosen_project, safe_next


class DisableForm(forms.Form):
    key = forms.CharField(max_length=200)
    environment = forms.CharField(max_length=64)
    reason = forms.CharField(max_length=2000, strip=True, error_messages={"required": "Say why: the reason goes to the audit log."})
    group = forms.IntegerField(required=False)


@login_required
def flag_errors(request):
    projects = list(projects_for(request.user))
    project = chosen_project(request, projects, request.GET.get("project", ""))
    environment = request.GET.get("environment", "production")[:64] or "production"
    page = flag_errors_page(redis_client(), projects, project, environment, timezone.now())
    return render(request, "triage/flag_errors.html", as_context(page))


@login_required
@project_member_required(perm="flags.change_flag")
def flag_disable(request, project):
    """GET: the confirmation page (without JavaScript); POST: turn the flag off."""
    form = DisableForm(request.POST if request.method == "POST" else None, initial=request.GET.dict())
    flag = flagstate.flags_by_key([project.id], [form["key"].value() or ""]).get((project.id, form["key"].value()))
    if flag is None:
        raise Http404("no such flag in this project")
    back = safe_next(request, reverse("triage:flag_errors") + f"?project={project.id}")
    if request.method != "POST" or not form.is_valid():
        context = {"form": form, "flag": flag, "project": project, "next": back}
        return render(request, "triage/flag_disable.html", context, status=400 if form.errors else 200)
    env, reason = form.cleaned_data["environment"], form.cleaned_data["reason"]
    change = flagstate.disable(flag, env, actor=request.user, reason=reason)
    _note_on_group(request.user, project.id, flag.key, form.cleaned_data)
    text = f"Turned {flag.key} off in {env}; SDKs get the off value now. Logged with your reason." if change else f"{flag.key} was already off in {env}."
    messages.success(request, text)
    return redirect(back)


def _note_on_group(user, project_id: int, key: str, data: dict) -> None:
    group = ErrorGroup.objects.filter(id=data.get("group") or 0, project_id=project_id).first()
    if group is not None:
        actions.record_flag_disabled(group, actor=user, now=timezone.now(), flag_key=key, environment=data["environment"], reason=data["reason"])
