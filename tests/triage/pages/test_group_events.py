"""A group's events page: newest first, cursor paging both ways, the list's filters, and links to traces."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests.triage.helpers import crash, push
from triage.models import ErrorEvent, ErrorGroup
from triage.pages import group_events
from triage.pages.group_events import Cursor, EventQuery

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_group(project, redis_client, monkeypatch):
    """120 events of one group received a second apart (the newest now), in two releases and two
    environments; pages of 50."""
    monkeypatch.setattr(group_events, "PER_PAGE", 50)
    events = [crash(release="shop@1.5.0" if i % 2 else "shop@1.4.0", environment="staging" if i % 3 == 0 else "production",
                    user={"id": f"u-{i}"}, contexts={"trace": {"trace_id": f"{i:032x}"}}) for i in range(120)]
    push(project, redis_client, events)
    group = ErrorGroup.objects.get(project=project)
    now = timezone.now()
    for i, event in enumerate(events):
        ErrorEvent.objects.filter(event_id=event["event_id"]).update(received_at=now - dt.timedelta(seconds=119 - i))
    return group, [e["event_id"] for e in events]


def get(client, group, **params):
    return client.get(f"/groups/{group.id}/events/", params)


def ids(response) -> list[str]:
    return [e.event_id for e in response.context["events"]]


def test_pages_walk_every_event_newest_first_and_back(client, alice, busy_group):
    group, sent = busy_group
    client.force_login(alice)
    first = get(client, group)
    assert ids(first) == sent[::-1][:50]
    assert first.context["newer_url"] == ""
    second = client.get(f"/groups/{group.id}/events/" + first.context["older_url"])
    third = client.get(f"/groups/{group.id}/events/" + second.context["older_url"])
    assert ids(second) == sent[::-1][50:100]
    assert ids(third) == sent[::-1][100:]
    assert third.context["older_url"] == ""
    back = client.get(f"/groups/{group.id}/events/" + third.context["newer_url"])
    assert ids(back) == sent[::-1][50:100]


def test_new_events_arriving_do_not_shift_the_page_being_read(client, alice, busy_group, project, redis_client):
    group, sent = busy_group
    client.force_login(alice)
    older_url = get(client, group).context["older_url"]
    push(project, redis_client, [crash() for _ in range(7)])
    assert ids(client.get(f"/groups/{group.id}/events/" + older_url)) == sent[::-1][50:100]


def test_filters_of_the_group_list_apply_to_events(client, alice, busy_group):
    group, sent = busy_group
    client.force_login(alice)
    staging = get(client, group, environment="staging", release="shop@1.5.0")
    expected = [e for i, e in enumerate(sent) if i % 3 == 0 and i % 2][::-1]
    assert ids(staging) == expected
    ErrorEvent.objects.filter(event_id__in=sent[:80]).update(received_at=timezone.now() - dt.timedelta(hours=3))
    recent = get(client, group, window="1h")
    assert (ids(recent), recent.context["older_url"]) == (sent[80:][::-1], "")
    assert len(ids(get(client, group, window="24h"))) == 50
    assert ids(get(client, group, query="u-17")) == [sent[17]]
    assert ids(get(client, group, query=sent[5])) == [sent[5]]
    assert ids(get(client, group, query=f"{42:032x}")) == [sent[42]]  # a trace id


def test_malformed_filters_and_cursors_are_a_400_not_a_500(client, alice, busy_group):
    group, _ = busy_group
    client.force_login(alice)
    for params in ({"cursor": "older:abc:1"}, {"cursor": "sideways:1:1"}, {"cursor": "older:-5:1"},
                   {"window": "3y"}, {"cursor": "older:1:99999999999999999999"}):
        response = get(client, group, **params)
        assert response.status_code == 400, params
        assert "don't work" in response.content.decode()


def test_a_cursor_past_the_pruned_end_offers_the_way_back(client, alice, busy_group):
    group, _ = busy_group
    client.force_login(alice)
    response = get(client, group, cursor=str(Cursor("older", timezone.now() - dt.timedelta(days=400), 1)))
    assert ids(response) == []
    assert response.context["newer_url"] == "?"


def test_every_trace_id_shown_links_to_its_trace(client, alice, busy_group, project):
    group, _ = busy_group
    client.force_login(alice)
    body = get(client, group).content.decode()
    links = re.findall(rf'href="/projects/{project.id}/traces/([0-9a-f]{{32}})/"', body)
    assert len(links) == 50 and links[0] == f"{119:032x}"
    detail = client.get(f"/groups/{group.id}/").content.decode()
    assert f'href="/projects/{project.id}/traces/{119:032x}/"' in detail
    assert f'href="/groups/{group.id}/events/"' in detail


def test_another_projects_group_events_are_not_found(client, alice, other_project):
    client.force_login(alice)
    group = ErrorGroup.objects.get(project=other_project)
    assert client.get(f"/groups/{group.id}/events/").status_code == 404


def test_a_query_string_keeps_the_filters_and_drops_the_cursor_when_they_change():
    cursor = Cursor("older", dt.datetime(2026, 12, 1, tzinfo=dt.UTC), 42)
    query = EventQuery(release="shop@1.5.0", window="24h", search="u 1", cursor=cursor)
    assert query.url() == f"?query=u+1&release=shop%401.5.0&window=24h&cursor=older%3A{int(cursor.received_at.timestamp()) * 10**6}%3A42"
    assert query.url(environment="staging") == "?query=u+1&release=shop%401.5.0&environment=staging&window=24h"
    assert Cursor.parse(str(cursor)) == cursor
