"""The project a user last looked at, kept in their session, so that pages without a project in
their URL (releases, flag errors) open on it rather than on the alphabetically first one."""

from __future__ import annotations

from django.contrib.auth import SESSION_KEY as LOGGED_IN

SESSION_KEY = "switchyard_project"


def remember_project(request, project) -> None:
    """Called by every page shown about one project. Only for a logged-in session: an API call
    authenticates with a token on each request, and writing to its session would start one."""
    session = getattr(request, "session", None)
    if session is not None and LOGGED_IN in session and session.get(SESSION_KEY) != project.id:
        session[SESSION_KEY] = project.id


def remembered_project_id(request) -> int | None:
    session = getattr(request, "session", None)
    value = session.get(SESSION_KEY) if session is not None else None
    return value if isinstance(value, int) else None
