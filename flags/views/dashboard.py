"""Dashboard pages for flags: the list, a flag's page, and its state changes (POST + CSRF).

A state change held for approval (flags.policy) becomes an approval request on the spot, with
the same changes and reason, and the page says so."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from config.redis_clients import redis_client
from flags import approvals, audit, changes, prerequisites, stale
from flags.access import CHANGE_FLAG, flag_for_user
from flags.environments import project_environments
from flags.forms import FlagCreateForm, PrerequisitesForm, ScheduleForm, StateForm, SwitchForm, TriggerForm
from flags.models import ApprovalStatus
from flags.policy import ApprovalRequired, approval_environments
from flags.validation import InvalidChange, message
from flags.views.common import form_errors, to_detail
from projects.access import project_member_required
from projects.members import projects_for
from projects.recent import remembered_project_id


@login_required
def flags_home(request):
    """The nav's Flags: the flags of the project the user last looked at, else their first."""
    projects = list(projects_for(request.user).order_by("name"))
    if not projects:
        return redirect("triage:project_list")
    remembered = remembered_project_id(request)
    project = next((p for p in projects if p.id == remembered), projects[0])
    return redirect("flags:flag_list", project_id=project.id)


@login_required
@project_member_required
def flag_list(request, project):
    return _flag_list(request, project, FlagCreateForm(project=project, initial={"owner": request.user.pk}))


def _flag_list(request, project, form: FlagCreateForm, status: int = 200):
    redis = redis_client()
    evaluated = stale.latest_evaluations(redis, project)
    stale_keys = {s.flag.key for s in stale.stale_flags(project, redis, timezone.now())}
    flags = project.flags.select_related("owner").prefetch_related("environments")
    context = {
        "project": project, "environments": project_environments(project.id), "stale_keys": stale_keys,
        "rows": [(flag, {s.environment: s for s in flag.environments.all()}, evaluated.get(flag.key)) for flag in flags],
        "form": form,
    }
    return render(request, "flags/flag_list.html", context, status=status)


@login_required
@require_POST
@project_member_required(perm="flags.add_flag")
def flag_create(request, project):
    form = FlagCreateForm(request.POST, project=project)
    try:
        if not form.is_valid():
            raise InvalidChange(form_errors(form))
        flag = changes.create_flag(project, actor=request.user, source="dashboard", **form.create_kwargs())
    except InvalidChange as exc:
        # The list again with the form as typed (a redirect would empty every field) and the reason.
        if not form.errors:
            form.add_error(None, message(exc))
        messages.error(request, f"Could not create the flag: {message(exc)}")
        return _flag_list(request, project, form, status=400)
    messages.success(request, f"Created {flag.key}. It is off everywhere until you enable it.")
    return to_detail(flag)


@login_required
def flag_detail(request, project_id: int, key: str):
    flag = flag_for_user(request.user, project_id, key)
    states = list(flag.environments.all())
    context = {
        "project": flag.project, "flag": flag, "states": [(s, StateForm.for_state(s)) for s in states],
        "environments": project_environments(flag.project_id), "switch_form": SwitchForm(),
        "triggers": flag.triggers.active(), "trigger_form": TriggerForm(),
        "history": audit.changes_for(flag.project, flag.key)[:100],
        "required_by": prerequisites.dependants(flag.project_id, flag.key),
        "blocked": prerequisites.blocked_environments(flag),
        "prerequisites_form": PrerequisitesForm(initial={"prerequisites": PrerequisitesForm.text_of(flag.prerequisites)}),
        "schedules": flag.schedules.select_related("created_by")[:20],
        "schedule_form": ScheduleForm(initial={"start_at": timezone.localtime().replace(second=0, microsecond=0),
                                               "every_minutes": 60}),
        "pending": flag.approval_requests.filter(status=ApprovalStatus.PENDING).select_related("requested_by"),
        "approval_environments": approval_environments(flag.project_id),
    }
    return render(request, "flags/flag_detail.html", context)


def _held(request, flag, environment: str, state: dict, reason: str):
    """The change needs approval: ask for it with the same changes and reason."""
    try:
        made = approvals.request_change(flag, environment, state, actor=request.user, reason=reason, source="dashboard")
    except InvalidChange as exc:
        messages.error(request, f"{environment} needs a second member's approval to enable or widen a flag, "
                                f"and the request could not be made: {message(exc)}")
        return to_detail(flag)
    messages.warning(request, f"Held for approval: {', '.join(made.widening)} in {environment} needs a second member. "
                              f"Request #{made.id} is waiting.")
    return redirect("flags:approval_detail", project_id=flag.project_id, request_id=made.id)


def _switch(request, project_id: int, key: str, turn, verb: str):
    flag = flag_for_user(request.user, project_id, key, perm=CHANGE_FLAG)
    form = SwitchForm(request.POST)
    try:
        if not form.is_valid():
            raise InvalidChange(f"a reason is required to {verb} a flag")
        data = form.cleaned_data
        change = turn(flag, data["environment"], actor=request.user, reason=data["reason"], source="dashboard")
    except ApprovalRequired:
        return _held(request, flag, form.cleaned_data["environment"], {"enabled": True}, form.cleaned_data["reason"])
    except InvalidChange as exc:
        messages.error(request, message(exc))
        return to_detail(flag)
    env = form.cleaned_data["environment"]
    messages.success(request, f"{flag.key} is now {verb}d in {env}." if change else f"{flag.key} was already {verb}d in {env}.")
    return to_detail(flag)


@login_required
@require_POST
def flag_disable(request, project_id: int, key: str):
    return _switch(request, project_id, key, changes.disable_flag, "disable")


@login_required
@require_POST
def flag_enable(request, project_id: int, key: str):
    return _switch(request, project_id, key, changes.enable_flag, "enable")


@login_required
@require_POST
def environment_update(request, project_id: int, key: str):
    flag = flag_for_user(request.user, project_id, key, perm=CHANGE_FLAG)
    form = StateForm(request.POST)
    try:
        if not form.is_valid():
            raise InvalidChange(form_errors(form))
        change = changes.update_environment(flag, form.cleaned_data["environment"], form.state(), actor=request.user,
                                            source="dashboard", reason=form.cleaned_data["reason"])
    except ApprovalRequired:
        return _held(request, flag, form.cleaned_data["environment"], form.state(), form.cleaned_data["reason"])
    except InvalidChange as exc:
        messages.error(request, f"Not saved: {message(exc)}")
        return to_detail(flag)
    messages.success(request, "Saved: apps see it on their next evaluation." if change else "Nothing changed.")
    return to_detail(flag)


@login_required
@require_POST
def prerequisites_update(request, project_id: int, key: str):
    flag = flag_for_user(request.user, project_id, key, perm=CHANGE_FLAG)
    form = PrerequisitesForm(request.POST)
    try:
        if not form.is_valid():
            raise InvalidChange(" ".join(" ".join(errs) for errs in form.errors.values()))
        change = changes.update_flag(flag, {"prerequisites": form.cleaned_data["prerequisites"]}, actor=request.user,
                                     source="dashboard", reason=form.cleaned_data["reason"])
    except InvalidChange as exc:
        messages.error(request, f"Prerequisites not saved: {message(exc)}")
        return to_detail(flag)
    messages.success(request, "Prerequisites saved: apps see them on their next evaluation." if change else "Nothing changed.")
    return to_detail(flag)
