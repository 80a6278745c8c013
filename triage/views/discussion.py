"""Working together on a group: comments (with @mentions), linked tickets, and the project's issue
tracker. POST only, CSRF-checked, members only; each view checks its permission and calls the one
function in triage.comments or triage.tickets that makes the change."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from projects.access import project_member_required, require_perm
from triage import comments, tickets
from triage.access import group_for_user

ADD_COMMENT, DELETE_COMMENT = "triage.add_groupcomment", "triage.delete_groupcomment"


def _back(group, anchor: str):
    return redirect(reverse("triage:group_detail", args=[group.id]) + f"#{anchor}")


@login_required
@require_POST
def comment_create(request, group_id: int):
    group = group_for_user(request.user, group_id)
    require_perm(request.user, ADD_COMMENT)
    try:
        comment = comments.add_comment(group, request.user, request.POST.get("text", ""), now=timezone.now())
    except ValueError as exc:
        messages.error(request, str(exc))
        return _back(group, "comments")
    told = [name for name in comment.mentions if name != request.user.get_username()]
    messages.success(request, f"Commented; told {', '.join(told)}." if told else "Commented.")
    return _back(group, "comments")


@login_required
@require_POST
def comment_delete(request, group_id: int, comment_id: int):
    group = group_for_user(request.user, group_id)
    comment = get_object_or_404(group.comments, id=comment_id)
    if comment.author_id != request.user.pk:  # one's own comment is one's own to take back
        require_perm(request.user, DELETE_COMMENT)
    comments.delete_comment(comment)
    messages.success(request, "Deleted the comment.")
    return _back(group, "comments")


@login_required
@require_POST
def ticket_link(request, group_id: int):
    group = group_for_user(request.user, group_id, for_change=True)
    try:
        tickets.link_ticket(group, request.POST.get("url", ""), actor=request.user, now=timezone.now())
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Linked the ticket.")
    return _back(group, "tickets")


@login_required
@require_POST
def ticket_unlink(request, group_id: int, ticket_id: int):
    group = group_for_user(request.user, group_id, for_change=True)
    tickets.unlink_ticket(get_object_or_404(group.tickets, id=ticket_id))
    messages.success(request, "Unlinked the ticket.")
    return _back(group, "tickets")


@login_required
@require_POST
@project_member_required(perm="projects.change_project")
def tracker_update(request, project):
    try:
        tracker = tickets.set_tracker(project, request.POST.get("url_template", ""), actor=request.user, now=timezone.now())
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Saved the issue tracker." if tracker else "Removed the issue tracker.")
    return redirect(reverse("triage:project_settings", args=[project.id]) + "#issue-tracker")
