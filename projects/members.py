"""Projects and who belongs to them: one function per change, and the one visibility rule."""

from __future__ import annotations

from django.db import transaction
from django.utils.text import slugify

from config import db_router
from projects.models import Project


@transaction.atomic
def create_project(name: str, members=()) -> Project:
    """A project with a unique slug. Triage gives every new project its first DSN key (a
    post_save receiver in triage.edge.signals), so this app need not know about DSN keys."""
    base = slugify(name)[:90] or "project"
    slug, n = base, 1
    while Project.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    project = Project.objects.create(name=name, slug=slug)
    project.members.add(*members)
    return project


def projects_for(user):
    """The projects a user may see: members see theirs; superusers see all.

    While a page reads the replica (config.db_router) the ids are read here, on the primary, and
    the query carries them: as a subquery of a triage query, membership would be read on the
    replica, which may not know yet that someone was removed."""
    projects = Project.objects.all() if user.is_superuser else Project.objects.filter(members=user)
    if db_router.reading_replica():
        return Project.objects.filter(id__in=list(projects.values_list("id", flat=True)))
    return projects


def add_member(project: Project, user) -> bool:
    """Makes `user` a member of `project`; False when they already were."""
    if project.members.filter(pk=user.pk).exists():
        return False
    project.members.add(user)
    return True


def remove_member(project: Project, user) -> bool:
    """Ends `user`'s membership of `project` (apps that suggest members hear it through Django's
    m2m_changed signal); False when they were not a member."""
    if not project.members.filter(pk=user.pk).exists():
        return False
    project.members.remove(user)
    return True
