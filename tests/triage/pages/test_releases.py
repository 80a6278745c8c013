"""The releases view: each release's errors, new and regressed groups, and two releases compared."""

import pytest
from django.utils import timezone

from tests.triage.helpers import crash, push
from triage import actions
from triage.models import ErrorGroup

pytestmark = pytest.mark.django_db


@pytest.fixture
def releases(project, redis_client, alice):
    """price fails in 1.4.0 and 1.5.0 (resolved after 1.4.0, so regressed by 1.5.0); total is new in 1.5.0."""
    push(project, redis_client, [crash("price", release="shop@1.4.0") for _ in range(2)])
    price = ErrorGroup.objects.select_related("project").get(project=project)
    actions.resolve_in_next_release(price, actor=alice, now=timezone.now())
    push(project, redis_client, [crash("price", release="shop@1.5.0"), crash("total", release="shop@1.5.0"), crash("total", release="shop@1.5.0")])
    return project


def test_each_release_has_its_errors_new_and_regressed_groups(client, alice, releases):
    client.force_login(alice)
    summaries = {s.release.version: s for s in client.get("/releases/").context["summaries"]}
    newer, older = summaries["shop@1.5.0"], summaries["shop@1.4.0"]
    assert (newer.events, newer.groups, newer.new_groups, newer.regressed_groups) == (3, 2, 1, 1)
    assert (older.events, older.groups, older.new_groups, older.regressed_groups) == (2, 1, 1, 0)
    assert newer.previous == "shop@1.4.0"


def test_comparing_two_releases_splits_new_gone_and_common_groups(client, alice, releases):
    client.force_login(alice)
    response = client.get("/releases/compare/", {"base": "shop@1.4.0", "target": "shop@1.5.0"})
    comparison = response.context["comparison"]
    assert [c.group.culprit for c in comparison.new] == ["shop.pricing in total"]
    assert [(c.group.culprit, c.base, c.target) for c in comparison.both] == [("shop.pricing in price", 2, 1)]
    assert comparison.gone == []
    assert "Regressed" in response.content.decode()


def test_another_projects_releases_are_not_found(client, alice, releases, other_project):
    client.force_login(alice)
    assert client.get("/releases/", {"project": other_project.id}).status_code == 404
    assert client.get("/releases/compare/", {"project": other_project.id, "base": "secret@9.9.9", "target": "secret@9.9.9"}).status_code == 404


def test_a_project_without_releases_explains_how_to_send_one(client, alice, project):
    client.force_login(alice)
    assert "No releases yet" in client.get("/releases/").content.decode()
