"""The first-run page (/projects/<id>/start/, /groups/ before any event, and /groups/?project=<id>
for a project without one): each project's DSN and the three lines of sentry-sdk that send a
first event."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.urls import reverse

from projects.models import Project
from triage.models import ErrorGroup

SHOWN = 10


@dataclass
class FirstRunPage:
    projects: list[tuple[Project, str]]  # (project, DSN of its first active key, or "")
    single: Project | None = None  # the project asked for, on its own start page
    receiving: bool = False  # the single project has groups already: nothing to wait for
    list_url: str = ""  # the list the page opens once an event arrives (and asks about while it waits)


def first_run_page(projects: QuerySet, single: Project | None = None) -> FirstRunPage:
    rows = [(p, next((k for k in p.keys.all() if k.is_active), None)) for p in projects.prefetch_related("keys")[:SHOWN]]
    receiving = single is not None and ErrorGroup.objects.filter(project=single).exists()
    return FirstRunPage([(p, key.dsn() if key else "") for p, key in rows], single, receiving, list_url(single))


def list_url(single: Project | None) -> str:
    """The group list of the one project, or of all the user's."""
    url = reverse("triage:group_list")
    return f"{url}?project={single.id}" if single else url
