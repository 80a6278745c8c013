"""GET /api/0/projects/<id>/logs/: filters, newest first, cursor pages, group links; members only."""

import datetime as dt
from urllib.parse import quote

import pytest

from projects.tokens import create_token
from tests.triage.helpers import crash, push
from tests.triage.logs.helpers import make_line, store_lines
from triage.models import ErrorEvent

pytestmark = pytest.mark.django_db
TRACE = "5" * 32
NOW = dt.datetime.now(dt.UTC)


def get(client, url, token):
    return client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_lines_come_newest_first_with_their_fields_and_the_groups_of_their_trace(client, alice, project, redis_client):
    push(project, redis_client, [crash("charge", "shop.pay", "CardDeclined", contexts={"trace": {"trace_id": TRACE}})])
    group_id = ErrorEvent.objects.get().group_id
    store_lines([make_line(project, message="older", timestamp=NOW - dt.timedelta(seconds=5)),
                 make_line(project, message="charging card", level="warn", logger="shop.pay", trace_id=TRACE,
                           span_id="1" * 16, release="shop@2", environment="production", attributes={"order": 17},
                           timestamp=NOW)])
    body = get(client, f"/api/0/projects/{project.id}/logs/", create_token(alice)).json()
    assert [r["message"] for r in body["results"]] == ["charging card", "older"]
    first = body["results"][0]
    assert {k: first[k] for k in ("level", "logger", "trace_id", "span_id", "release", "environment", "attributes", "group_ids")} == {
        "level": "warn", "logger": "shop.pay", "trace_id": TRACE, "span_id": "1" * 16, "release": "shop@2",
        "environment": "production", "attributes": {"order": 17}, "group_ids": [group_id]}
    assert dt.datetime.fromisoformat(first["timestamp"]) == NOW
    assert body["next_cursor"] is None


def test_filters_and_cursor_pages(client, alice, project):
    store_lines([make_line(project, message=f"timeout {i}", level="error" if i % 2 else "info",
                           timestamp=NOW - dt.timedelta(seconds=i)) for i in range(7)])
    token, url = create_token(alice), f"/api/0/projects/{project.id}/logs/"
    body = get(client, f"{url}?level=error&limit=2", token).json()
    assert [r["message"] for r in body["results"]] == ["timeout 1", "timeout 3"]
    body = get(client, f"{url}?level=error&limit=2&cursor={body['next_cursor']}", token).json()
    assert [r["message"] for r in body["results"]] == ["timeout 5"] and body["next_cursor"] is None
    since = quote((NOW - dt.timedelta(seconds=3.5)).isoformat())
    assert [r["message"] for r in get(client, f"{url}?q=timeout&since={since}", token).json()["results"]] == [
        "timeout 0", "timeout 1", "timeout 2", "timeout 3"]


@pytest.mark.parametrize("query", ["trace_id=xyz", "level=loud", "since=someday", "cursor=nonsense", "limit=0",
                                   "limit=many", "until=2026-13-01"])
def test_bad_parameters_are_a_400_with_a_reason(client, alice, project, query):
    response = get(client, f"/api/0/projects/{project.id}/logs/?{query}", create_token(alice))
    assert response.status_code == 400 and response.json()["detail"]


def test_only_members_see_a_projects_lines(client, charlie, project):
    store_lines([make_line(project, message="private")])
    assert get(client, f"/api/0/projects/{project.id}/logs/", create_token(charlie)).status_code == 404
    assert client.get(f"/api/0/projects/{project.id}/logs/").status_code == 401
