"""Releases registered with their commits: what suspect commits are drawn from
(triage.attribution.owners). Switchyard has no repository integration, so commits come as data:
from its own releases API, or from Sentry's (https://docs.sentry.io/api/releases/), which
`sentry-cli releases new` and `set-commits` call (triage.api_releases).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from triage.models import Release, ReleaseCommit

MAX_COMMITS = 1_000  # per call; sentry-cli sends 20 by default
MAX_FILES = 2_000  # per commit
MAX_PATH = 1_000
MAX_VERSION = 200  # Release.version


@dataclass(frozen=True)
class Commit:
    commit_id: str
    author_email: str = ""
    author_name: str = ""
    message: str = ""
    repository: str = ""
    files: tuple[str, ...] = ()


def parse_version(value) -> str:
    """A release version as sent, or ValueError: text, not blank, 200 characters at most, one line."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("version must be the release's name, as the SDK sends it (release=…)")
    if len(value) > MAX_VERSION or any(c in value for c in "\n\r\t"):
        raise ValueError(f"version must be one line of at most {MAX_VERSION} characters")
    return value


def parse_commits(raw) -> list[Commit]:
    """Commits from a JSON list, in either shape: ours ({"id", "author_email", "message", "files":
    [paths]}) or Sentry's ({"id", "repository", "author_name", "author_email", "message",
    "patch_set": [{"path", "type"}]}). Newest first, as `git log` and sentry-cli list them; a
    repeated id keeps its first place. ValueError naming the first thing wrong."""
    if not isinstance(raw, list):
        raise ValueError("commits must be a list")
    if len(raw) > MAX_COMMITS:
        raise ValueError(f"at most {MAX_COMMITS} commits at a time")
    found: dict[str, Commit] = {}
    for index, item in enumerate(raw):
        commit = _commit(item, f"commits[{index}]")
        found.setdefault(commit.commit_id, commit)
    return list(found.values())


def _commit(item, where: str) -> Commit:
    if not isinstance(item, dict):
        raise ValueError(f"{where} must be an object")
    commit_id = item.get("id")
    if not isinstance(commit_id, str) or not commit_id.strip() or len(commit_id) > 64:
        raise ValueError(f"{where}.id must be the commit's id (at most 64 characters)")
    texts = {name: _text(item.get(name), f"{where}.{name}", limit) for name, limit in
             [("author_email", 254), ("author_name", 200), ("repository", 200), ("message", 10_000)]}
    files = item.get("files") if "files" in item else [_patch_path(p, f"{where}.patch_set") for p in _list(item.get("patch_set"), f"{where}.patch_set")]
    return Commit(commit_id.strip(), files=_paths(files, f"{where}.files"), **texts)


def _text(value, where: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{where} must be text")
    return value.strip()[:limit]


def _list(value, where: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{where} must be a list")
    return value


def _patch_path(entry, where: str):
    if not isinstance(entry, dict):
        raise ValueError(f"{where} entries must be objects with a path")
    return entry.get("path")


def _paths(files, where: str) -> tuple[str, ...]:
    files = _list(files, where)
    if len(files) > MAX_FILES:
        raise ValueError(f"{where}: at most {MAX_FILES} files a commit")
    if not all(isinstance(f, str) and f.strip() and len(f) <= MAX_PATH for f in files):
        raise ValueError(f"{where} must be repository paths (text, at most {MAX_PATH} characters)")
    return tuple(dict.fromkeys(f.strip() for f in files))


@transaction.atomic
def register_release(project, version: str, commits: Iterable[Commit] | None, *, now: dt.datetime) -> tuple[Release, bool]:
    """The project's release `version`, created (first seen now) when no event named it yet, with
    its commits replaced by `commits` (None leaves them; [] clears them, as Sentry's set-commits
    --clear does). Returns (release, created)."""
    release, created = Release.objects.get_or_create(
        project=project, version=version, defaults={"first_seen": now, "last_seen": now}
    )
    if commits is not None:
        ReleaseCommit.objects.filter(release=release).delete()
        ReleaseCommit.objects.bulk_create(
            ReleaseCommit(
                release=release, position=position, commit_id=c.commit_id, repository=c.repository,
                author_email=c.author_email, author_name=c.author_name, message=c.message, files=list(c.files),
            )
            for position, c in enumerate(commits)
        )
    return release, created


def previous_release_with_commits(release: Release) -> Release | None:
    """The project's newest release before `release` that has commits: sentry-cli starts its
    `git log` there, so each release lists only its own commits."""
    earlier = Release.objects.filter(project_id=release.project_id, commits__isnull=False).exclude(pk=release.pk)
    earlier = earlier.filter(first_seen__lte=release.first_seen).distinct()
    return earlier.order_by("-first_seen", "-id").first()


def head_commit(release: Release) -> ReleaseCommit | None:
    """The release's newest commit (the first one sent)."""
    return release.commits.order_by("position").first()
