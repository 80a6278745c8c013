"""Issue-tracker links: a project's URL template that opens a new issue prefilled from a group, and
existing tickets linked to a group.

A template is a URL with placeholders, e.g. GitHub's
`https://github.com/org/repo/issues/new?title={title}&body={body}`
(https://docs.github.com/en/issues/tracking-your-work-with-issues/using-issues/creating-an-issue#creating-an-issue-from-a-url-query)
or Jira's `https://jira.example.com/secure/CreateIssueDetails!init.jspa?pid=10000&issuetype=1&summary={title}&description={body}`.
Every value is percent-encoded in full, so a title holding `&` or `#` stays one value and can
never add a parameter or change where the link goes; the scheme and host are the template's own.
Callers check access and permissions; these functions check the data.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote, urlsplit

from django.db import IntegrityError, transaction

from triage.alerts import group_url
from triage.models import ErrorGroup, GroupTicket, IssueTracker

PLACEHOLDERS = ("title", "body", "url", "culprit", "id", "project", "level", "events", "users")
MAX_URL = 2000
_PLACEHOLDER = re.compile(r"\{(\w*)\}")


def check_http_url(url: str, what: str) -> str:
    """The URL stripped, or ValueError unless it is an absolute http(s) URL of a host."""
    url = url.strip()
    if not url:
        raise ValueError(f"{what} is empty.")
    if len(url) > MAX_URL:
        raise ValueError(f"{what} is longer than {MAX_URL} characters.")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise ValueError(f"{what} has spaces or control characters in it.")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise ValueError(f"{what} is not a URL.") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{what} must start with http:// or https:// and name a host.")
    return url


def check_template(template: str) -> str:
    """The template stripped, or ValueError: an http(s) URL whose scheme and host are written
    out, with known placeholders only."""
    template = template.strip()
    unknown = sorted({name for name in _PLACEHOLDER.findall(template) if name not in PLACEHOLDERS})
    if unknown:
        raise ValueError(f"Unknown placeholder {{{unknown[0]}}}: use {', '.join('{' + p + '}' for p in PLACEHOLDERS)}.")
    check_http_url(_PLACEHOLDER.sub("x", template), "The URL template")
    parts = urlsplit(template)
    if "{" in parts.scheme or "{" in parts.netloc:
        raise ValueError("The tracker's address (scheme and host) must be written out, not a placeholder.")
    return template


def set_tracker(project, template: str, *, actor, now: dt.datetime) -> IssueTracker | None:
    """Saves the project's URL template (an empty one removes the tracker). ValueError for a bad one."""
    if not template.strip():
        IssueTracker.objects.filter(project=project).delete()
        return None
    template = check_template(template)
    tracker, _ = IssueTracker.objects.update_or_create(
        project=project, defaults={"url_template": template, "updated_at": now, "updated_by": actor}
    )
    return tracker


def issue_values(group: ErrorGroup) -> dict[str, str]:
    """What a new issue is prefilled with, by placeholder."""
    link = group_url(group.id)
    release = f" (first seen in {group.first_release.version})" if group.first_release_id else ""
    body = "\n".join([
        f"Switchyard group #{group.id} in {group.project.name}: {group.title}",
        f"Culprit: {group.culprit}" if group.culprit else "",
        f"{group.event_count} events, {group.users_affected} users affected, first seen {group.first_seen:%Y-%m-%d %H:%M} UTC{release}",
        "",
        link,
    ])
    return {
        "title": group.title, "body": body, "url": link, "culprit": group.culprit, "id": str(group.id),
        "project": group.project.name, "level": group.level, "events": str(group.event_count),
        "users": str(group.users_affected),
    }


def new_issue_url(template: str, group: ErrorGroup) -> str:
    """The template filled in from the group, each value percent-encoded whole."""
    values = issue_values(group)
    return _PLACEHOLDER.sub(lambda m: quote(values.get(m.group(1), ""), safe=""), template)


def link_ticket(group: ErrorGroup, url: str, *, actor, now: dt.datetime) -> GroupTicket:
    """Links an existing ticket to the group. ValueError for a URL that is not http(s), or one
    already linked."""
    url = check_http_url(url, "The ticket's URL")
    try:
        with transaction.atomic():
            return GroupTicket.objects.create(group=group, url=url, added_by=actor, added_at=now)
    except IntegrityError:
        raise ValueError("That ticket is already linked.") from None


def unlink_ticket(ticket: GroupTicket) -> None:
    ticket.delete()
