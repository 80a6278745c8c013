"""Search in the group list and the groups API: tag:value, is:, assigned:, release:, free text."""

import pytest
from django.utils import timezone

from tests.factories import make_user
from tests.triage.digest.test_tags import CHROME_MAC, FIREFOX_LINUX
from tests.triage.helpers import crash, push
from triage import actions
from triage.models import ErrorGroup

pytestmark = pytest.mark.django_db


@pytest.fixture
def groups(project, redis_client, alice, bob):
    """price: Chrome users on shop@1.4.0, assigned to alice; tax: Firefox on shop@1.5.0 (the latest),
    resolved; ship: a custom tag and a timeout message, assigned to bob."""
    chrome = {"headers": {"User-Agent": CHROME_MAC}, "url": "https://shop.example.com/checkout/pay"}
    push(project, redis_client, [crash("price", release="shop@1.4.0", request=chrome, user={"id": "u1", "segment": "paid"})])
    push(project, redis_client, [crash("tax", release="shop@1.5.0", request={"headers": {"User-Agent": FIREFOX_LINUX}})])
    push(project, redis_client, [crash("ship", release="shop@1.4.0", tags={"carrier": "dhl express"}, exc_type="TimeoutError")])
    by_name = {g.culprit.rsplit(" ", 1)[-1]: g for g in ErrorGroup.objects.filter(project=project)}
    now = timezone.now()
    actions.assign(by_name["price"], alice, actor=alice, now=now)
    actions.assign(by_name["ship"], bob, actor=alice, now=now)
    actions.resolve(by_name["tax"], actor=alice, now=now)
    return by_name


def found(client, query: str, **params) -> set[str]:
    response = client.get("/groups/", {"query": query, "status": "all", **params})
    assert response.status_code == 200, response.content.decode()
    return {row.group.culprit.rsplit(" ", 1)[-1] for row in response.context["rows"]}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('browser:"Chrome 120"', {"price"}),
        ("browser.name:Firefox", {"tax"}),
        ("!browser.name:Firefox", {"price", "ship"}),
        ('carrier:"dhl express"', {"ship"}),
        ("carrier:*express", {"ship"}),
        ("url:*checkout*", {"price"}),
        ("user.segment:paid", {"price"}),
        ("has:user.segment", {"price"}),
        ("!has:browser", {"ship"}),
        ("is:resolved", {"tax"}),
        ("is:unresolved", {"price", "ship"}),
        ("is:unassigned", {"tax"}),
        ("assigned:me", {"price"}),
        ("assigned:bob", {"ship"}),
        ("assigned:none", {"tax"}),
        ("release:latest", {"tax"}),
        ("release:shop@1.4.0", {"price", "ship"}),
        ("environment:production is:unresolved", {"price", "ship"}),
        ("TimeoutError", {"ship"}),
        ("is:unresolved Timeout", {"ship"}),
        ('"bad price"', {"price", "tax", "ship"}),
        ("browser.name:Safari", set()),
    ],
)
def test_search_finds_the_groups(client, alice, groups, query, expected):
    client.force_login(alice)
    assert found(client, query) == expected


def test_is_in_the_search_decides_over_the_status_menu(client, alice, groups):
    client.force_login(alice)
    response = client.get("/groups/", {"query": "is:resolved"})  # the menu's default is unresolved
    assert {row.group.id for row in response.context["rows"]} == {groups["tax"].id}
    assert 'name="status" aria-label="Status" disabled' in response.content.decode()


def test_the_search_stays_in_the_url_and_the_box(client, alice, groups):
    client.force_login(alice)
    response = client.get("/groups/", {"query": 'browser:"Chrome 120"', "sort": "events"})
    html = response.content.decode()
    assert 'value="browser:&quot;Chrome 120&quot;"' in html
    assert "query=browser%3A%22Chrome+120%22" in response.context["query"].url()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('browser:"Chrome 120', "The quote opened at character 9 is never closed."),
        ("is:resloved", "“is:resloved” is not a state"),
        ("assigned:zed", "there is no user named zed"),
        ("browser:", "needs a value"),
    ],
)
def test_a_bad_search_is_a_400_that_says_why_and_keeps_what_was_typed(client, alice, groups, query, message):
    client.force_login(alice)
    response = client.get("/groups/", {"query": query, "sort": "events"})
    html = response.content.decode()
    assert response.status_code == 400
    assert message in html and "data-search-error" in html
    assert 'name="query"' in html and 'value="' in html  # the filter bar is there to fix it
    response = client.get("/groups/", {"query": query}, headers={"HX-Request": "true", "HX-Target": "groups"})
    assert response.status_code == 400 and message in response.content.decode() and "<form" not in response.content.decode()


def test_a_user_of_another_project_is_still_a_user(client, alice, groups):
    """assigned: checks that the name exists, not whom it may see: the result is simply empty."""
    make_user("dora")
    client.force_login(alice)
    assert found(client, "assigned:dora") == set()


def test_the_groups_api_takes_the_same_search(client, alice, groups, project):
    from projects.tokens import create_token

    token = create_token(alice)
    response = client.get(f"/api/0/projects/{project.id}/groups/", {"query": 'browser:"Chrome 120" is:unresolved'},
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert [g["id"] for g in response.json()["results"]] == [groups["price"].id]
    bad = client.get(f"/api/0/projects/{project.id}/groups/", {"query": "is:nope"}, headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 400 and "is not a state" in bad.json()["detail"]
