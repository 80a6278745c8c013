"""Saved views: a user keeps a filtered group list under a name and finds it in the nav.

A view is the group list's query string (everything the list shows is in it), made to name its
project and to start on the first page. It belongs to its owner and one project; shared, every
member of that project sees it too. The query is checked as the list reads it, so a saved view
always opens. Callers check access and permissions; these functions check the data.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl, urlencode

from django.db.models import Q, QuerySet
from django.http import QueryDict

from projects.members import projects_for
from triage.models import SavedView
from triage.pages.group_list import ListQuery

MAX_NAME = 100
MAX_QUERY = 2000
MAX_VIEWS_PER_USER = 100


def view_query(query_string: str, project_id: int) -> str:
    """The list's query string for the view: its project set, no page, no empty parameters.
    ValueError when the list would refuse it."""
    pairs = [(k, v) for k, v in parse_qsl(query_string.lstrip("?"), keep_blank_values=True) if v and k not in ("page", "project")]
    query = urlencode([("project", str(project_id)), *pairs])
    if len(query) > MAX_QUERY:
        raise ValueError(f"A view's filters take at most {MAX_QUERY} characters.")
    ListQuery.from_params(QueryDict(query), "")  # raises ValueError as the list would
    return query


def save_view(owner, project, name: str, query_string: str, *, shared: bool, now: dt.datetime) -> SavedView:
    """Saves the owner's view of the project under `name`, replacing one of the same name."""
    name = " ".join(name.split())
    if not name:
        raise ValueError("A view needs a name.")
    if len(name) > MAX_NAME:
        raise ValueError(f"A view's name has at most {MAX_NAME} characters.")
    query = view_query(query_string, project.id)
    existing = SavedView.objects.filter(owner=owner, project=project, name=name).first()
    if existing is None and SavedView.objects.filter(owner=owner).count() >= MAX_VIEWS_PER_USER:
        raise ValueError(f"You have {MAX_VIEWS_PER_USER} saved views: delete one first.")
    view, _ = SavedView.objects.update_or_create(
        owner=owner, project=project, name=name, defaults={"query": query, "shared": shared, "created_at": now}
    )
    return view


def views_for(user) -> QuerySet:
    """The user's own views and the views shared in their projects, by project and name."""
    projects = projects_for(user)
    mine_or_shared = Q(owner=user) | Q(shared=True)
    return SavedView.objects.filter(mine_or_shared, project__in=projects).select_related("project", "owner").order_by(
        "project__name", "name", "id"
    )


def delete_view(view: SavedView) -> None:
    view.delete()
