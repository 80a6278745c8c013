"""Dashboard pages for approvals: the project's requests and policy, one request with its diff
and the flag's error evidence, and the review (POST + CSRF; flags.approvals decides who may)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from flags import approvals, policy
from flags.access import approval_request_for_user
from flags.environments import project_environments
from flags.forms import PolicyForm, ReviewForm
from flags.models import ApprovalRequest, ApprovalStatus
from flags.schedules import describe_step
from flags.validation import InvalidChange, message
from flags.views.common import act_on_request
from projects.access import project_member_required


@login_required
@project_member_required
def approval_list(request, project):
    rows = ApprovalRequest.objects.filter(flag__project=project).select_related("flag", "requested_by", "reviewed_by")
    context = {
        "project": project, "pending": rows.filter(status=ApprovalStatus.PENDING),
        "closed": rows.exclude(status=ApprovalStatus.PENDING)[:50],
        "policy_form": PolicyForm(environments=project_environments(project.id),
                                  initial={"environments": policy.approval_environments(project.id)}),
    }
    return render(request, "flags/approval_list.html", context)


@login_required
@require_POST
@project_member_required(perm="projects.change_project")
def policy_update(request, project):
    form = PolicyForm(request.POST, environments=project_environments(project.id))
    if not form.is_valid():
        messages.error(request, "Choose environments from the list.")
    elif policy.set_approval_environments(project, form.cleaned_data["environments"], actor=request.user,
                                          source="dashboard", reason=form.cleaned_data["reason"]):
        chosen = ", ".join(form.cleaned_data["environments"]) or "no environment"
        messages.success(request, f"Approvals now required in {chosen}.")
    return redirect("flags:approval_list", project_id=project.id)


@login_required
def approval_detail(request, project_id: int, request_id: int):
    found = approval_request_for_user(request.user, project_id, request_id)
    schedule = found.schedule
    context = {
        "project": found.flag.project, "flag": found.flag, "approval": found, "diff": approvals.diff(found),
        "steps": [describe_step(step) for step in schedule.steps] if schedule else [],
        "evidence": approvals.error_evidence(found.flag.project, found.flag.key, found.environment, timezone.now()),
        "stale": found.status == ApprovalStatus.PENDING and schedule is None
                 and approvals.preview(found.flag, found.environment, {})[0] != found.before,
        "review_form": ReviewForm(),
    }
    return render(request, "flags/approval_detail.html", context)


@login_required
@require_POST
def approval_action(request, project_id: int, request_id: int, action: str):
    found = approval_request_for_user(request.user, project_id, request_id)
    form = ReviewForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        act_on_request(found, action, request.user, comment, source="dashboard")
    except InvalidChange as exc:
        messages.error(request, message(exc))
        return redirect("flags:approval_detail", project_id=project_id, request_id=request_id)
    done = {"approve": "approved and applied", "reject": "rejected", "cancel": "cancelled"}[action]
    messages.success(request, f"Request #{found.id} {done}.")
    return redirect("flags:approval_detail", project_id=project_id, request_id=request_id)
