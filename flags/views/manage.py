"""Dashboard pages for the secrets around flags: SDK keys and trigger URLs (shown once)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from flags import sdk_keys, triggers
from flags.access import CHANGE_FLAG, flag_for_user
from flags.environments import project_environments
from flags.forms import SdkKeyForm, TriggerForm
from flags.models import SdkKey, Trigger
from flags.validation import InvalidChange, message
from flags.views.common import to_detail
from projects.access import project_member_required, require_perm


@login_required
@require_POST
def trigger_create(request, project_id: int, key: str):
    flag = flag_for_user(request.user, project_id, key, perm=CHANGE_FLAG)  # a trigger URL can disable the flag
    require_perm(request.user, "flags.add_trigger")
    form = TriggerForm(request.POST)
    try:
        if not form.is_valid():
            raise InvalidChange("an environment is required")
        data = form.cleaned_data
        _, token = triggers.create_trigger(flag, data["environment"], label=data["label"], actor=request.user,
                                           source="dashboard")
    except InvalidChange as exc:
        messages.error(request, message(exc))
        return to_detail(flag)
    messages.success(request, f"Trigger URL (shown once, POST to it to disable the flag): {triggers.trigger_url(token)}")
    return to_detail(flag)


@login_required
@require_POST
def trigger_revoke(request, project_id: int, key: str, trigger_id: int):
    flag = flag_for_user(request.user, project_id, key, perm="flags.change_trigger")
    triggers.revoke_trigger(get_object_or_404(Trigger, flag=flag, id=trigger_id), actor=request.user, source="dashboard")
    messages.success(request, "Revoked the trigger URL.")
    return to_detail(flag)


@login_required
@project_member_required
def sdk_key_list(request, project):
    context = {"project": project, "keys": project.sdk_keys.all(), "form": SdkKeyForm(),
               "environments": project_environments(project.id)}
    return render(request, "flags/sdk_keys.html", context)


@login_required
@require_POST
@project_member_required(perm="flags.add_sdkkey")
def sdk_key_create(request, project):
    form = SdkKeyForm(request.POST)
    try:
        if not form.is_valid():
            raise InvalidChange("an environment and a kind are required")
        data = form.cleaned_data
        _, plaintext = sdk_keys.create_sdk_key(project, data["environment"], kind=data["kind"], label=data["label"],
                                               actor=request.user, source="dashboard")
    except InvalidChange as exc:
        messages.error(request, message(exc))
        return redirect("flags:sdk_key_list", project_id=project.id)
    messages.success(request, f"SDK key (shown once, copy it now): {plaintext}")
    return redirect("flags:sdk_key_list", project_id=project.id)


@login_required
@require_POST
@project_member_required(perm="flags.change_sdkkey")
def sdk_key_revoke(request, project, key_id: int):
    sdk_keys.revoke_sdk_key(get_object_or_404(SdkKey, project=project, id=key_id), actor=request.user, source="dashboard")
    messages.success(request, "Revoked the key: apps using it are refused within a second.")
    return redirect("flags:sdk_key_list", project_id=project.id)
