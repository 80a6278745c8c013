"""What the flag views share: the redirect back to a flag's page, a form's errors as the one line
a refused change reports, and acting on an approval request (dashboard and API alike)."""

from django.http import Http404
from django.shortcuts import redirect

from flags import approvals
from flags.access import CHANGE_FLAG
from projects.access import require_perm


def to_detail(flag):
    return redirect("flags:flag_detail", project_id=flag.project_id, key=flag.key)


def form_errors(form) -> str:
    return " ".join(f"{field}: {' '.join(errs)}" for field, errs in form.errors.items())


def act_on_request(found, action: str, user, comment: str, source: str) -> None:
    """An approval request's page and its API: the requester (or anyone who sees it) cancels; a
    reviewer with flags.change_flag approves or rejects. 404 for another action, 403 without the
    permission; InvalidChange from flags.approvals when the request cannot take it."""
    if action == "cancel":
        approvals.cancel(found, actor=user, source=source)
    elif action in ("approve", "reject"):
        require_perm(user, CHANGE_FLAG)
        getattr(approvals, action)(found, reviewer=user, comment=comment, source=source)
    else:
        raise Http404("no such action")
