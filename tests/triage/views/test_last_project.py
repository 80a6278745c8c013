"""Pages without a project in their URL (releases, compare, flag errors) open on the project the
user last looked at, else the one with the most recent events, never just the alphabetically first."""

import pytest

from projects.tokens import create_token
from tests.factories import make_project
from tests.triage.helpers import crash, push

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(project, redis_client):
    push(project, redis_client, [crash("price", release="shop@1.4.0"), crash("total", release="shop@1.5.0")])
    return project


@pytest.fixture
def api(alice):
    """Alice's second project, alphabetically first, without events or releases."""
    return make_project("api", members=[alice])


def shown_project(client, url: str):
    return client.get(url).context["project"]


def test_without_a_remembered_project_the_one_with_recent_events_opens(client, alice, shop, api):
    client.force_login(alice)
    assert shown_project(client, "/releases/") == shop
    assert shown_project(client, "/flag-errors/") == shop


def test_the_project_last_looked_at_opens(client, alice, shop, api):
    client.force_login(alice)
    client.get(f"/projects/{api.id}/flags/")
    assert shown_project(client, "/releases/") == api
    assert shown_project(client, "/flag-errors/") == api
    client.get(f"/groups/?project={shop.id}")
    assert shown_project(client, "/releases/") == shop
    client.get(f"/releases/?project={api.id}")
    assert shown_project(client, "/flag-errors/") == api
    client.get(f"/groups/{shop.groups.first().id}/")
    assert shown_project(client, "/flag-errors/") == shop


def test_a_remembered_project_the_user_left_is_not_shown(client, alice, shop, api):
    client.force_login(alice)
    client.get(f"/projects/{api.id}/flags/")
    api.members.remove(alice)
    assert shown_project(client, "/releases/") == shop


def test_compare_without_a_project_finds_the_releases_project(client, alice, shop, api):
    client.force_login(alice)
    client.get(f"/projects/{api.id}/flags/")  # remembered, but without these releases
    response = client.get("/releases/compare/", {"base": "shop@1.4.0", "target": "shop@1.5.0"})
    assert response.status_code == 200
    assert response.context["project"] == shop
    assert response.context["comparison"].target.version == "shop@1.5.0"


@pytest.mark.parametrize("params", [{}, {"base": "shop@1.4.0"}, {"base": "shop@1.4.0", "target": "shop@9.9.9"}])
def test_compare_of_releases_that_do_not_exist_is_a_page_not_the_debug_404(client, alice, shop, api, settings, params):
    settings.DEBUG = True  # as under `make run`, where a raised Http404 is Django's page listing every URL pattern
    client.force_login(alice)
    response = client.get("/releases/compare/", params)
    html = response.content.decode()
    assert response.status_code == 404
    assert "URL patterns" not in html and "URLconf" not in html
    assert "Pick two releases of shop" in html
    assert 'href="/releases/?project=' in html


def test_the_api_does_not_start_a_session(client, alice, shop):
    token = create_token(alice)
    response = client.get(f"/api/0/projects/{shop.id}/groups/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert "sessionid" not in response.cookies


def test_the_logs_open_on_the_project_last_looked_at(client, alice, shop, api):
    client.force_login(alice)
    assert shown_project(client, "/logs/") == shop  # the recent events
    client.get(f"/projects/{api.id}/flags/")
    assert shown_project(client, "/logs/") == api
