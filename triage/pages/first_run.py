"""The first-run page (/projects/<id>/start/, and /groups/ before any event): each project's DSN
and the three lines of sentry-sdk that send a first event."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from projects.models import Project

SHOWN = 10


@dataclass
class FirstRunPage:
    projects: list[tuple[Project, str]]  # (project, DSN of its first active key, or "")
    single: Project | None = None  # the project asked for, on its own start page


def first_run_page(projects: QuerySet, single: Project | None = None) -> FirstRunPage:
    rows = [(p, next((k for k in p.keys.all() if k.is_active), None)) for p in projects.prefetch_related("keys")[:SHOWN]]
    return FirstRunPage([(p, key.dsn() if key else "") for p, key in rows], single)
