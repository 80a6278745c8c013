"""Comments on a group, with @mentions of the project's members, who are told by email.

`@bob` names the member whose username is bob (case-insensitive when no username matches
exactly); what follows the name and cannot end a username (a comma, a full stop) is not part of
it. Only members of the group's project can be mentioned, so a comment never mails anyone else.
Mentions go out through the alert deliveries (triage.alerts.notify_user): retried, and
recorded in the deliveries table like any alert. Callers check access and permissions; these
functions check the data.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db import transaction

from triage import alerts
from triage.models import ErrorGroup, GroupComment

MAX_TEXT = 10_000
# Django's usernames: letters, digits and @ . + - _ ; a mention starts after a space or the start.
_MENTION = re.compile(r"(?<![\w@.+-])@([\w.@+-]+)")
_TRAILING = ".@+-"


def mentioned(text: str, members) -> list:
    """The members `text` mentions, in order of first mention, each once."""
    exact = {m.get_username(): m for m in members}
    folded: dict[str, list] = {}
    for member in exact.values():
        folded.setdefault(member.get_username().casefold(), []).append(member)
    found: dict[str, object] = {}
    for match in _MENTION.finditer(text):
        member = _member(match.group(1), exact, folded)
        if member is not None:
            found.setdefault(member.get_username(), member)
    return list(found.values())


def _member(name: str, exact: dict, folded: dict):
    while name:
        if name in exact:
            return exact[name]
        same = folded.get(name.casefold(), [])
        if len(same) == 1:  # two members told apart only by case: neither, rather than the wrong one
            return same[0]
        if name[-1] not in _TRAILING:
            return None
        name = name[:-1]  # "@bob." at the end of a sentence
    return None


def add_comment(group: ErrorGroup, author, text: str, *, now: dt.datetime) -> GroupComment:
    """Posts `text` on the group and emails the members it mentions (but the author) after the
    commit. ValueError for an empty or over-long text."""
    text = text.strip()
    if not text:
        raise ValueError("A comment needs some text.")
    if len(text) > MAX_TEXT:
        raise ValueError(f"A comment has at most {MAX_TEXT:,} characters.")
    people = mentioned(text, group.project.members.all())
    with transaction.atomic():
        comment = GroupComment.objects.create(
            group=group, author=author, text=text, mentions=[m.get_username() for m in people], created_at=now
        )
        for member in people:
            if member.pk != getattr(author, "pk", None):
                _tell(member, group, author, text, now)
    return comment


def _tell(member, group: ErrorGroup, author, text: str, now: dt.datetime) -> None:
    who = author.get_username() if author is not None else "Someone"
    subject = f"{who} mentioned you on {group.title}"
    details = {"trigger": "mention", "group_id": group.id, "project": group.project.name, "comment_by": who}
    alerts.notify_user(member, subject, text, now=now, details=details)


def delete_comment(comment: GroupComment) -> None:
    comment.delete()


@dataclass(frozen=True)
class Piece:
    """A run of a comment's text, or a mention of a member (`username` set): templates escape both."""

    text: str
    username: str = ""


def pieces(comment: GroupComment) -> list[Piece]:
    """The comment's text cut where it mentions the members it named when posted."""
    named = {name.casefold(): name for name in comment.mentions}
    result, at = [], 0
    for match in _MENTION.finditer(comment.text):
        name = match.group(1)
        while name and name.casefold() not in named and name[-1] in _TRAILING:
            name = name[:-1]
        if name.casefold() not in named:
            continue
        start, end = match.start(), match.start() + 1 + len(name)
        if start > at:
            result.append(Piece(comment.text[at:start]))
        result.append(Piece(comment.text[start:end], named[name.casefold()]))
        at = end
    if at < len(comment.text):
        result.append(Piece(comment.text[at:]))
    return result
