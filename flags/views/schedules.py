"""Dashboard actions on a flag's schedules (POST + CSRF, `flags.change_flag`): create a
progressive rollout or a "turn on at", and pause, resume or cancel one (flags.schedules)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.views.decorators.http import require_POST

from flags import schedules
from flags.access import CHANGE_FLAG, flag_for_user
from flags.forms import ScheduleForm
from flags.models import ScheduleStatus
from flags.validation import InvalidChange, message
from flags.views.common import form_errors, to_detail


@login_required
@require_POST
def schedule_create(request, project_id: int, key: str):
    flag = flag_for_user(request.user, project_id, key, perm=CHANGE_FLAG)
    form = ScheduleForm(request.POST)
    try:
        if not form.is_valid():
            raise InvalidChange(form_errors(form))
        data = form.cleaned_data
        schedule = schedules.create_schedule(flag, data["environment"], form.steps(), start_at=data["start_at"],
                                             actor=request.user, source="dashboard", reason=data["reason"])
    except InvalidChange as exc:
        messages.error(request, f"Not scheduled: {message(exc)}")
        return to_detail(flag)
    if schedule.status == ScheduleStatus.PENDING_APPROVAL:
        messages.warning(request, f"Schedule #{schedule.id} widens {flag.key} in {schedule.environment}: it starts once "
                                  "a second member approves it.")
    else:
        messages.success(request, f"Scheduled #{schedule.id}: {len(schedule.steps)} step(s) in {schedule.environment}.")
    return to_detail(flag)


ACTIONS = {
    "pause": lambda schedule, user: schedules.pause_schedule(schedule, actor=user, source="dashboard"),
    "resume": lambda schedule, user: schedules.resume_schedule(schedule, actor=user, source="dashboard"),
    "cancel": lambda schedule, user: schedules.cancel_schedule(schedule, actor=user, source="dashboard",
                                                                reason=f"cancelled by {user.get_username()}"),
}


@login_required
@require_POST
def schedule_action(request, project_id: int, key: str, schedule_id: int, action: str):
    flag = flag_for_user(request.user, project_id, key, perm=CHANGE_FLAG)
    schedule = flag.schedules.filter(pk=schedule_id).first()
    if schedule is None or action not in ACTIONS:
        raise Http404("no such schedule")
    try:
        ACTIONS[action](schedule, request.user)
    except InvalidChange as exc:
        messages.error(request, message(exc))
        return to_detail(flag)
    messages.success(request, f"Schedule #{schedule.id}: {action}d." if action != "cancel" else f"Schedule #{schedule.id} cancelled.")
    return to_detail(flag)
