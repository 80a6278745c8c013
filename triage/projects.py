"""State changes for projects, keys and tokens: one function each, used by views, admin and commands."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from triage.models import ApiToken, Project, ProjectKey, hash_token

TOKEN_PREFIX = "sy_"


@transaction.atomic
def create_project(name: str, members=()) -> Project:
    base = slugify(name)[:90] or "project"
    slug, n = base, 1
    while Project.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    project = Project.objects.create(name=name, slug=slug)
    project.members.add(*members)
    ProjectKey.objects.create(project=project, label="Default")
    return project


def add_key(project: Project, label: str = "Default") -> ProjectKey:
    return ProjectKey.objects.create(project=project, label=label or "Default")


def revoke_key(key: ProjectKey, now=None) -> ProjectKey:
    """Idempotent: revoking a revoked key keeps its first revocation time."""
    if key.revoked_at is None:
        key.revoked_at = now or timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def create_token(user, label: str = "") -> str:
    """Returns the token once; only its hash is stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, label=label, token_hash=hash_token(token), prefix=token[:8])
    return token


def user_for_token(token: str):
    row = ApiToken.objects.select_related("user").filter(token_hash=hash_token(token), revoked_at__isnull=True).first()
    if row is None or not row.user.is_active:
        return None
    return row.user


def projects_for(user):
    """The projects a user may see: members see theirs; superusers see all."""
    if user.is_superuser:
        return Project.objects.all()
    return Project.objects.filter(members=user)
