"""Releases and their commits, for suspect commits (triage.attribution.commits): Switchyard's own
endpoint, and Sentry's (https://docs.sentry.io/api/releases/) so release scripts written for
Sentry run unchanged against Switchyard.

- POST /api/0/projects/<id>/releases/ {"version", "commits": [{"id", "author_email", "message",
  "files": [paths]}]}: 201 when the release is new, 200 when it existed (its commits replaced).
- Sentry's, as `sentry-cli releases new`, `set-commits` and `finalize` call them: POST
  /api/0/organizations/<org>/releases/ {"version", "projects": [slugs or ids], "commits": [{"id",
  "repository", "author_name", "author_email", "message", "patch_set": [{"path", "type"}]}]}, GET
  and PUT …/releases/<version>/ (PUT {"commits": …} replaces them), GET
  …/releases/<version>/previous-with-commits/ (where sentry-cli starts its `git log`) and GET
  …/repos/ (none: with no repository integration sentry-cli sends commits from local git). Any
  organisation slug names this installation; projects are the token user's, by slug or id. `refs`
  (commits a Sentry repository integration would fetch) and release dates are accepted and ignored.

Members read; registering needs `triage.add_release`. Users are matched to commits by email.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from projects.access import project_member_required, require_perm
from projects.api import BadRequest, json_body, token_required
from projects.members import projects_for
from triage.attribution import commits
from triage.models import ErrorGroup, Release

ADD_RELEASE = "triage.add_release"


@token_required
@require_POST
@project_member_required(perm=ADD_RELEASE)
def project_release_create(request, project):
    body = json_body(request)
    version = _parse(lambda: commits.parse_version(body.get("version")))
    found = _parse(lambda: commits.parse_commits(body["commits"])) if "commits" in body else None
    release, created = commits.register_release(project, version, found, now=timezone.now())
    return JsonResponse(release_json(release), status=201 if created else 200)


@token_required
@require_POST
def sentry_release_create(request, org: str):
    """Sentry's "create a new release for an organization": 201, or 208 when it existed."""
    require_perm(request.user, ADD_RELEASE)
    body = json_body(request)
    version = _parse(lambda: commits.parse_version(body.get("version")))
    projects = sentry_projects(request.user, body.get("projects"))
    found = _parse(lambda: commits.parse_commits(body["commits"])) if body.get("commits") is not None else None
    now = timezone.now()
    results = [commits.register_release(p, version, found, now=now) for p in projects]
    releases = [release for release, _ in results]
    return JsonResponse(sentry_release_json(version, releases), status=201 if any(c for _, c in results) else 208)


@token_required
@require_http_methods(["GET", "PUT"])
def sentry_release_detail(request, org: str, version: str):
    """Sentry's release details (GET) and update (PUT: commits, projects; dates and refs ignored)."""
    releases = _releases(request.user, version)
    if request.method == "PUT":
        require_perm(request.user, ADD_RELEASE)
        body = json_body(request)
        found = _parse(lambda: commits.parse_commits(body["commits"])) if body.get("commits") is not None else None
        projects = sentry_projects(request.user, body["projects"]) if body.get("projects") else [r.project for r in releases]
        releases = [commits.register_release(p, version, found, now=timezone.now())[0] for p in projects]
    if not releases:
        raise Http404("no such release")
    return JsonResponse(sentry_release_json(version, releases))


@token_required
@require_GET
def sentry_previous_release(request, org: str, version: str):
    """The newest earlier release with commits, or {} (sentry-cli then sends its default depth)."""
    releases = _releases(request.user, version)
    if not releases:
        raise Http404("no such release")
    earlier = [p for p in map(commits.previous_release_with_commits, releases) if p is not None]
    if not earlier:
        return JsonResponse({})
    previous = max(earlier, key=lambda r: (r.first_seen, r.id))
    return JsonResponse(sentry_release_json(previous.version, [previous]))


@token_required
@require_GET
def sentry_repositories(request, org: str):
    """No repository integrations: sentry-cli set-commits then reads commits from local git."""
    return JsonResponse([], safe=False)


def _parse(read):
    try:
        return read()
    except ValueError as exc:
        raise BadRequest(str(exc)) from None


def _releases(user, version: str) -> list[Release]:
    found = Release.objects.filter(project__in=projects_for(user), version=version).select_related("project")
    return list(found.order_by("project__slug"))


def sentry_projects(user, wanted) -> list:
    """The token user's projects named in a Sentry body ("projects": slugs, or ids as sentry-cli
    sends numeric ones); BadRequest naming any that are not (theirs, or at all: not disclosed)."""
    if not isinstance(wanted, list) or not wanted or not all(isinstance(p, str | int) and not isinstance(p, bool) for p in wanted):
        raise BadRequest("projects must list the release's project slugs")
    slugs = {p for p in wanted if isinstance(p, str)}
    ids = {p for p in wanted if isinstance(p, int)} | {int(p) for p in slugs if p.isascii() and p.isdigit() and len(p) < 18}
    found = list(projects_for(user).filter(Q(slug__in=slugs) | Q(id__in=ids)).order_by("slug"))
    known = {p.slug for p in found} | {p.id for p in found} | {str(p.id) for p in found}
    missing = [str(p) for p in wanted if p not in known]
    if missing:
        raise BadRequest(f"unknown projects: {', '.join(missing)}")
    return found


def release_json(release: Release) -> dict:
    rows = list(release.commits.order_by("position"))
    authors = _authors(release.project, {c.author_email.lower() for c in rows if c.author_email})
    return {
        "version": release.version,
        "project": release.project_id,
        "first_seen": release.first_seen.isoformat(),
        "commits": [
            {"id": c.commit_id, "author_email": c.author_email, "author": authors.get(c.author_email.lower()),
             "message": c.message, "files": c.files}
            for c in rows
        ],
    }


def _authors(project, emails: set[str]) -> dict[str, str]:
    """Email → username of the project's members with that email (the first by username)."""
    found: dict[str, str] = {}
    members = get_user_model().objects.filter(projects=project).exclude(email="").order_by("username")
    for user in members:
        if user.email.lower() in emails:
            found.setdefault(user.email.lower(), user.get_username())
    return found


def sentry_release_json(version: str, releases: list[Release]) -> dict:
    """What Sentry answers for a release, as much as sentry-cli reads (version, dateCreated,
    projects, lastCommit) and a little more."""
    first = min(releases, key=lambda r: r.first_seen)
    heads = [h for h in map(commits.head_commit, releases) if h is not None]
    return {
        "version": version,
        "shortVersion": version,
        "url": None,
        "ref": None,
        "dateCreated": first.first_seen.isoformat(),
        "dateReleased": None,
        "lastEvent": None,
        "newGroups": ErrorGroup.objects.filter(first_release__in=releases).count(),
        "commitCount": sum(r.commits.count() for r in releases),
        "lastCommit": {"id": heads[0].commit_id} if heads else None,
        "projects": [{"id": str(r.project.id), "slug": r.project.slug, "name": r.project.name} for r in releases],
    }
