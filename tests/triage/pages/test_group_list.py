"""The group list, the home page: filters in the URL, spike order, pagination, live refresh, first run."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import minutes_ago
from tests.triage.helpers import crash, push, spike
from triage import actions
from triage.models import ErrorGroup
from triage.pages.group_list import MAX_PAGE, ListQuery

pytestmark = pytest.mark.django_db


@pytest.fixture
def groups(project, redis_client):
    """A steady group on shop@1.4.0 and a spiking one that came with shop@1.5.0 and new-checkout on."""
    push(project, redis_client, [crash("price", release="shop@1.4.0", environment="staging", contexts={"flags": {"values": [{"flag": "new-checkout", "result": False}]}}) for _ in range(3)])
    steady = ErrorGroup.objects.get(culprit="shop.pricing in price")
    spiking = spike(project, redis_client, 40, release="shop@1.5.0")
    return steady, spiking


def titles(response) -> list[str]:
    return [row.group.title for row in response.context["rows"]]


def ids(response) -> list[int]:
    return [row.group.id for row in response.context["rows"]]


def test_anonymous_visitor_is_sent_to_log_in(client):
    for url in ["/", "/groups/", "/releases/", "/flag-errors/", "/developers/"]:
        response = client.get(url, follow=True)
        assert response.redirect_chain[-1][0].startswith("/login/?next="), url


def test_home_is_the_group_list(client, alice, groups):
    client.force_login(alice)
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == "/groups/"
    assert len(response.context["rows"]) == 2


def test_spiking_group_comes_first_with_its_release_and_flags(client, alice, groups):
    steady, spiking = groups
    client.force_login(alice)
    response = client.get("/groups/")
    assert ids(response) == [spiking.id, steady.id]
    row = response.context["rows"][0]
    assert row.spiking and row.window_count == 40
    html = response.content.decode()
    assert "Spiking ×" in html and "shop@1.5.0" in html and "shop.checkout_v2 in apply_discount" in html
    assert "new-checkout=true" in html


def test_each_row_has_a_sparkline_of_the_window(client, alice, groups):
    client.force_login(alice)
    response = client.get("/groups/?window=1h")
    row = response.context["rows"][0]
    assert len(row.counts) == 60 and len(row.sparkline.split()) == 60
    assert sum(row.counts[-2:]) == row.window_count == 40  # the 40 events of the last minute(s)
    assert not any(row.counts[:-2])  # and nothing before


def test_a_young_groups_sparkline_spans_its_life_not_the_whole_window(client, alice, groups):
    """A group 20 minutes old in the 24 h list: its events spread over ~20 points a minute, where
    the 24 hourly points put all of them in the last one (issue 10, item 6)."""
    import datetime as dt

    from triage.models import GroupMinuteCount

    steady, spiking = groups
    now = timezone.now()
    ErrorGroup.objects.filter(pk=steady.pk).update(first_seen=now - dt.timedelta(minutes=20))
    ErrorGroup.objects.filter(pk=spiking.pk).update(first_seen=now - dt.timedelta(hours=20))
    minute = now.replace(second=0, microsecond=0)
    GroupMinuteCount.objects.create(group=steady, minute=minute - dt.timedelta(minutes=15), count=5)
    GroupMinuteCount.objects.create(group=steady, minute=minute - dt.timedelta(minutes=8), count=2)
    client.force_login(alice)
    response = client.get("/groups/?window=24h")
    young = next(row for row in response.context["rows"] if row.group.id == steady.id)
    assert 20 <= len(young.counts) <= 22 and young.span in ("20 min", "21 min", "22 min")
    assert sum(1 for count in young.counts if count) >= 3  # 15 and 8 minutes ago, and now
    assert young.window_count == 5 + 2 + 3
    old = next(row for row in response.context["rows"] if row.group.id == spiking.id)
    assert len(old.counts) == 24 and old.span == "24h"  # 20 hours old: the list's own window
    html = response.content.decode()
    assert f"10 in {young.span}" in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ("release=shop@1.4.0", ["price"]),
        ("environment=staging", ["price"]),
        ("flag=new-checkout:false", ["price"]),
        ("flag=new-checkout:true", ["apply_discount"]),
        ("query=checkout_v2", ["apply_discount"]),
        ("query=CheckoutError", ["apply_discount"]),
        ("query=nothing-like-this", []),
        ("sort=events", ["apply_discount", "price"]),
        ("sort=first_seen", ["price", "apply_discount"]),  # the spiking group was first seen two hours ago
    ],
)
def test_filters_and_sorts_come_from_the_url(client, alice, groups, params, expected):
    client.force_login(alice)
    response = client.get(f"/groups/?{params}")
    assert [row.group.culprit.rsplit(" ", 1)[-1] for row in response.context["rows"]] == expected


def test_search_finds_a_message_of_any_event_not_only_the_first(client, alice, project, redis_client):
    push(project, redis_client, [crash(exception={"values": [{"type": "ValueError", "value": v, "stacktrace": {"frames": [{"module": "shop.pricing", "function": "price", "in_app": True}]}}]}) for v in ["bad price 1", "bad price for order ord-777"]])
    client.force_login(alice)
    assert len(client.get("/groups/?query=ord-777").context["rows"]) == 1


def test_assignee_filter_knows_me_and_unassigned(client, alice, bob, groups):
    steady, spiking = groups
    ErrorGroup.objects.filter(pk=spiking.pk).update(assignee=alice)
    ErrorGroup.objects.filter(pk=steady.pk).update(assignee=bob)
    client.force_login(alice)
    assert ids(client.get("/groups/?assignee=me")) == [spiking.id]
    assert ids(client.get("/groups/?assignee=bob")) == [steady.id]
    assert ids(client.get("/groups/?assignee=none")) == []


def test_status_and_window_filters(client, alice, groups):
    steady, spiking = groups
    actions.resolve(steady, actor=alice, now=timezone.now())
    ErrorGroup.objects.filter(pk=steady.pk).update(last_seen=minutes_ago(60 * 48))
    client.force_login(alice)
    assert ids(client.get("/groups/")) == [spiking.id]
    assert ids(client.get("/groups/?status=resolved")) == []  # seen two days ago, outside 24 h
    assert ids(client.get("/groups/?status=resolved&window=7d")) == [steady.id]
    assert set(ids(client.get("/groups/?status=all&window=all"))) == {steady.id, spiking.id}


def test_a_malformed_filter_explains_itself(client, alice, groups):
    client.force_login(alice)
    response = client.get("/groups/?flag=nocolon")
    assert response.status_code == 400
    assert "flag must look like key:value" in response.content.decode()


@pytest.mark.parametrize("page", ["0", "-1", "x", "\u00b2", "1000001", "99999999999999999999", "9" * 5000])
def test_a_page_number_outside_1_to_a_million_is_refused_with_a_message(page):
    with pytest.raises(ValueError, match="page must be a number from 1 to 1000000"):
        ListQuery.from_params({"page": page}, "alice")


def test_the_last_allowed_page_is_an_empty_page_not_an_error(client, alice, groups):
    client.force_login(alice)
    response = client.get("/groups/", {"page": str(MAX_PAGE)})
    assert response.status_code == 200 and response.context["page"].groups == []


def test_pages_of_25_with_spiking_groups_first(client, alice, project, redis_client):
    push(project, redis_client, [crash(f"f{i}") for i in range(30)])
    spiking = spike(project, redis_client, 20)
    client.force_login(alice)
    first, second = client.get("/groups/"), client.get("/groups/?page=2")
    assert ids(first)[0] == spiking.id
    assert len(ids(first)) == 25 and len(ids(second)) == 6
    assert not set(ids(first)) & set(ids(second))
    assert first.context["page"].total == 31
    assert 'href="?page=2"' in first.content.decode()


def test_links_keep_the_filters_so_a_view_can_be_shared(client, alice, project, redis_client):
    push(project, redis_client, [crash(f"f{i}", release="shop@1.4.0") for i in range(26)])
    client.force_login(alice)
    html = client.get("/groups/?release=shop@1.4.0&sort=events").content.decode()
    assert 'href="?release=shop%401.4.0&amp;sort=events&amp;page=2"' in html


def test_live_refresh_gets_only_the_rows(client, alice, groups):
    client.force_login(alice)
    response = client.get("/groups/?sort=events", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="groups")
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="groups"')
    assert 'hx-get="/groups/?sort=events"' in html and "<html" not in html


def test_first_run_shows_the_dsn_and_a_three_line_snippet(client, alice, project):
    client.force_login(alice)
    response = client.get("/groups/")
    html = response.content.decode()
    dsn = project.keys.first().dsn()
    assert "Waiting for your first error" in html
    assert f'sentry_sdk.init(dsn="{dsn}"' in html
    assert "sentry_sdk.capture_exception" in html


def test_a_user_without_projects_is_told_what_to_do(client, charlie):
    client.force_login(charlie)
    assert "not a member of any project" in client.get("/groups/").content.decode()


def test_another_projects_groups_never_show(client, alice, groups, other_project):
    client.force_login(alice)
    html = client.get("/groups/?status=all&window=all").content.decode()
    assert "secret.module" not in html and "secret-shop" not in html and "secret@9.9.9" not in html
    assert client.get(f"/groups/?project={other_project.id}").context["rows"] == []


def list_queries(client) -> int:
    client.get("/groups/")  # fills the per-minute caches: then every request costs the same
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/groups/").status_code == 200
    return len(queries)


def test_the_list_costs_the_same_queries_with_many_more_groups(client, alice, project, redis_client, monkeypatch):
    # The caches are per minute: a clock crossing a minute between the warm-up and the count would
    # count a refill, not the page.
    instant = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: instant)
    push(project, redis_client, [crash(f"f{i}", release=f"shop@1.{i}.0") for i in range(3)])
    spike(project, redis_client, 12)
    client.force_login(alice)
    few = list_queries(client)
    push(project, redis_client, [crash(f"g{i}", release=f"shop@2.{i}.0", environment=f"env{i % 4}") for i in range(40)])
    spike(project, redis_client, 12, function="other")
    assert list_queries(client) == few
