"""Releases with commits: POST /api/0/projects/<id>/releases/, and Sentry's release API as
`sentry-cli releases new`, `set-commits` and `finalize` call it."""

import json

import pytest

from projects.tokens import create_token
from tests.factories import grant
from tests.triage.helpers import crash, push
from triage.attribution import owners
from triage.models import ErrorGroup, Release, ReleaseCommit

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(alice):
    return create_token(grant(alice, "triage.add_release"))


def send(client, method, url, token, body=None):
    data = json.dumps(body) if body is not None else ""
    return getattr(client, method)(url, data, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")


OURS = {"version": "shop@1.5.0", "commits": [
    {"id": "a1b2c3d4e5f6", "author_email": "Bob@Example.com", "message": "Fix discount rounding", "files": ["shop/checkout_v2.py"]},
    {"id": "0badc0ffee00", "author_email": "nobody@elsewhere.test", "message": "Docs", "files": ["README"]},
]}

# What sentry-cli set-commits --local sends (UpdatedRelease.commits, GitCommit with its patch_set).
SENTRY_COMMIT = {
    "id": "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678", "repository": "acme/shop", "author_name": "Bob",
    "author_email": "bob@example.com", "timestamp": "2026-05-02T14:30:00+02:00", "message": "Fix discount rounding",
    "patch_set": [{"path": "shop/checkout_v2.py", "type": "M"}, {"path": "shop/old.py", "type": "D"}],
}


def test_our_release_call_creates_the_release_and_then_replaces_its_commits(client, project, token):
    url = f"/api/0/projects/{project.id}/releases/"
    response = send(client, "post", url, token, OURS)
    assert response.status_code == 201
    assert [(c["id"], c["author"]) for c in response.json()["commits"]] == [("a1b2c3d4e5f6", "bob"), ("0badc0ffee00", None)]
    again = send(client, "post", url, token, {"version": "shop@1.5.0", "commits": OURS["commits"][1:]})
    assert again.status_code == 200
    release = Release.objects.get(project=project, version="shop@1.5.0")
    assert list(release.commits.values_list("commit_id", "position", "files")) == [("0badc0ffee00", 0, ["README"])]


@pytest.mark.parametrize("body", [
    {"commits": []},
    {"version": " "},
    {"version": "a\nb"},
    {"version": "shop@1", "commits": {"id": "x"}},
    {"version": "shop@1", "commits": [{"message": "no id"}]},
    {"version": "shop@1", "commits": [{"id": "x", "files": "shop/a.py"}]},
    {"version": "shop@1", "commits": [{"id": "x", "files": [3]}]},
    {"version": "shop@1", "commits": [{"id": "x", "patch_set": [{"type": "M"}]}]},
    {"version": "shop@1", "commits": [{"id": "x", "author_email": 5}]},
])
def test_malformed_release_calls_are_400_and_store_nothing(client, project, token, body):
    assert send(client, "post", f"/api/0/projects/{project.id}/releases/", token, body).status_code == 400
    assert not Release.objects.filter(project=project).exists()


def test_registering_needs_add_release_and_membership(client, project, bob, charlie):
    url = f"/api/0/projects/{project.id}/releases/"
    assert send(client, "post", url, create_token(bob), OURS).status_code == 403
    assert send(client, "post", url, create_token(grant(charlie, "triage.add_release")), OURS).status_code == 404
    assert not Release.objects.exists()


def test_the_sentry_shaped_release_call_sets_commits_that_suggest_their_author(client, project, bob, token, redis_client):
    push(project, redis_client, [crash("apply_discount", "shop.checkout_v2", "CheckoutError", release="shop@1.5.0")])
    body = {"version": "shop@1.5.0", "projects": ["shop"], "ref": "main", "dateReleased": "2026-05-02T15:00:00Z",
            "commits": [SENTRY_COMMIT]}
    response = send(client, "post", "/api/0/organizations/acme/releases/", token, body)
    assert response.status_code == 208  # the release existed (its events named it); commits set all the same
    answer = response.json()
    assert (answer["version"], answer["commitCount"], answer["lastCommit"]) == ("shop@1.5.0", 1, {"id": SENTRY_COMMIT["id"]})
    assert answer["projects"] == [{"id": str(project.id), "slug": "shop", "name": "shop"}] and answer["newGroups"] == 1
    commit = ReleaseCommit.objects.get()
    assert (commit.repository, commit.author_name, commit.files) == ("acme/shop", "Bob", ["shop/checkout_v2.py", "shop/old.py"])
    group = ErrorGroup.objects.select_related("project", "first_release").get(project=project)
    found = owners.suggest(group)
    assert (found.user, found.source) == (bob, "commit")
    assert found.reason == "committed a1b2c3d 'Fix discount rounding' to shop@1.5.0, touching shop/checkout_v2.py"


def test_sentry_cli_new_set_commits_and_finalize_work_unchanged(client, project, token):
    base = "/api/0/organizations/any-org-slug"
    # releases new -p <id>: projects as sentry-cli serialises numeric ones, dateStarted ignored
    created = send(client, "post", f"{base}/releases/", token, {"version": "shop@1.0.0", "projects": [project.id],
                                                                "dateStarted": "2026-05-01T10:00:00Z"})
    assert created.status_code == 201 and created.json()["dateCreated"]
    # set-commits: no repositories, so commits come from local git, starting after the previous release's
    assert send(client, "get", f"{base}/repos/", token).json() == []
    assert send(client, "get", f"{base}/releases/shop@1.0.0/previous-with-commits/", token).json() == {}
    updated = send(client, "put", f"{base}/releases/shop@1.0.0/", token, {"commits": [SENTRY_COMMIT]})
    assert updated.status_code == 200 and updated.json()["lastCommit"] == {"id": SENTRY_COMMIT["id"]}
    # the next release starts its git log at this one's head
    send(client, "post", f"{base}/releases/", token, {"version": "shop@1.1.0", "projects": ["shop"]})
    previous = send(client, "get", f"{base}/releases/shop@1.1.0/previous-with-commits/", token).json()
    assert (previous["version"], previous["lastCommit"]) == ("shop@1.0.0", {"id": SENTRY_COMMIT["id"]})
    # finalize sends dateReleased only: accepted, commits kept
    finalized = send(client, "put", f"{base}/releases/shop@1.0.0/", token, {"dateReleased": "2026-05-02T15:00:00Z"})
    assert finalized.status_code == 200 and finalized.json()["commitCount"] == 1
    assert send(client, "get", f"{base}/releases/shop@1.0.0/", token).json()["version"] == "shop@1.0.0"


def test_sentry_calls_name_only_the_token_users_projects(client, project, token, other_project):
    base = "/api/0/organizations/acme/releases/"
    for projects in (["secret-shop"], ["nope"], [other_project.id], [], "shop"):
        assert send(client, "post", base, token, {"version": "v1", "projects": projects}).status_code == 400
    assert not Release.objects.filter(version="v1").exists()
    assert send(client, "put", f"{base}secret@9.9.9/", token, {"commits": []}).status_code == 404  # another's release
    assert send(client, "get", f"{base}unknown/previous-with-commits/", token).status_code == 404


def test_sentry_release_calls_need_add_release(client, project, bob):
    response = send(client, "post", "/api/0/organizations/acme/releases/", create_token(bob), {"version": "v1", "projects": ["shop"]})
    assert response.status_code == 403
