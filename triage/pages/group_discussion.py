"""The group page's discussion panel: comments with their mentions, linked tickets, and the link
that opens a new issue in the project's tracker (triage.comments, triage.tickets). Three queries."""

from __future__ import annotations

from dataclasses import dataclass

from triage.comments import Piece, pieces
from triage.models import ErrorGroup, GroupComment, GroupTicket, IssueTracker
from triage.tickets import new_issue_url


@dataclass(frozen=True)
class CommentView:
    comment: GroupComment
    pieces: list[Piece]


@dataclass
class Discussion:
    comments: list[CommentView]
    tickets: list[GroupTicket]
    new_issue_url: str  # "" when the project has no tracker


def discussion(group: ErrorGroup) -> Discussion:
    comments = group.comments.select_related("author")
    tracker = IssueTracker.objects.filter(project_id=group.project_id).first()
    return Discussion(
        comments=[CommentView(c, pieces(c)) for c in comments],
        tickets=list(group.tickets.select_related("added_by")),
        new_issue_url=new_issue_url(tracker.url_template, group) if tracker else "",
    )
