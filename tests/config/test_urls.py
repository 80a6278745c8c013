"""Every endpoint answers malformed input (NUL characters, huge page numbers, JSON it cannot store)
with a 4xx, never a 500: PostgreSQL refuses NUL in text and integers past 64 bits, and a stored
NUL or lone surrogate would break the pages that show it (issue 8)."""

import json

import pytest

from projects.tokens import create_token
from tests.factories import grant
from tests.flags.factories import make_flag
from tests.triage.helpers import crash, push
from triage.models import ErrorGroup

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"
DEEP = "[" * 100_000 + "]" * 100_000

# (method, path, query or body); {p} is the project, {g} a group, {f} a flag key; "form" posts a form.
PAGES = [
    ("get", "/groups/", "query=%00"),
    ("get", "/groups/", "release=%00"),
    ("get", "/groups/", "environment=%00"),
    ("get", "/groups/", "flag=new-checkout:%00"),
    ("get", "/groups/", "flag=%00:true"),
    ("get", "/groups/", "assignee=%00"),
    ("get", "/groups/", f"page={HUGE}"),
    ("get", "/groups/{g}/", "event=%00"),
    ("get", "/groups/{g}/chart/", "range=%00"),
    ("get", "/releases/", "project=%00"),
    ("get", "/releases/compare/", "base=%00&target=%00"),
    ("get", "/flag-errors/", "environment=%00"),
    ("get", "/flag-errors/", "project=%00"),
    ("get", "/projects/{p}/flag-audit/", "flag=%00"),
    ("get", "/projects/{p}/flag-audit/", "flag=%00&format=json"),
    ("get", "/projects/{p}/flags/%00/", ""),
    ("form", "/flag-errors/{p}/disable/", {"key": "new\u0000checkout", "environment": "production", "reason": "r"}),
    ("form", "/flag-errors/{p}/disable/", {"key": "new-checkout", "environment": "prod\u0000", "reason": "r\u0000"}),
]
API = [
    ("get", "/api/0/projects/{p}/groups/", "query=%00"),
    ("get", "/api/0/projects/{p}/groups/", "release=%00"),
    ("get", "/api/0/projects/{p}/groups/", "environment=%00"),
    ("get", "/api/0/projects/{p}/groups/", "flag=new-checkout:%00"),
    ("get", "/api/0/projects/{p}/groups/", "assignee=%00"),
    ("get", "/api/0/projects/{p}/groups/", f"page={HUGE}"),
    ("get", "/api/0/projects/{p}/groups/", "page=%00"),
    ("get", "/api/0/groups/{g}/events/", f"page={HUGE}"),
    ("get", "/api/0/projects/{p}/flags/", f"page={HUGE}"),
    ("get", "/api/0/projects/{p}/flag-changes/", "flag=%00"),
    ("get", "/api/0/projects/{p}/flag-changes/", f"page={HUGE}"),
    ("get", "/api/0/projects/{p}/flags/%00/", ""),
    ("put", "/api/0/groups/{g}/", {"assignee": "bob\u0000"}),
    ("put", "/api/0/groups/{g}/", {"assignee": "bob\ud800"}),
    ("put", "/api/0/groups/{g}/", {"status": "ignored", "ignore_until": "2999-01-01\u0000"}),
    ("put", "/api/0/groups/{g}/", {"status": "ignored", "ignore_count": 10**30}),
    ("put", "/api/0/groups/{g}/", DEEP),
    ("put", "/api/0/groups/{g}/", b'{"status": "resolved"\x00}'),
    ("post", "/api/0/projects/{p}/flags/", {"key": "new-flag", "name": "New\u0000", "owner": "alice"}),
    ("post", "/api/0/projects/{p}/flags/", {"key": "new-flag", "name": "New", "owner": "alice\u0000"}),
    ("post", "/api/0/projects/{p}/flags/", {"key": "new-flag", "name": "New", "owner": "alice", "metadata": {"team": "a\u0000"}}),
    ("post", "/api/0/projects/{p}/flags/", {"key": "new-flag\ud800", "name": "New", "owner": "alice"}),
    ("post", "/api/0/projects/{p}/flags/", DEEP),
    ("patch", "/api/0/projects/{p}/flags/{f}/", {"name": "x\u0000"}),
    ("patch", "/api/0/projects/{p}/flags/{f}/", {"description": "x\ud800"}),
    ("post", "/api/0/projects/{p}/flags/{f}/disable/", {"environment": "production\u0000", "reason": "r"}),
    ("post", "/api/0/projects/{p}/flags/{f}/disable/", {"environment": "production", "reason": "r\u0000"}),
    ("post", "/api/0/projects/{p}/flags/{f}/enable/", {"environment": "production", "reason": "r\ud800"}),
]


@pytest.fixture
def world(alice, project, redis_client):
    grant(alice, "triage.change_errorgroup", "flags.add_flag", "flags.change_flag")
    push(project, redis_client, [crash()])
    flag = make_flag(project, "new-checkout")
    return {"p": project.id, "g": ErrorGroup.objects.get(project=project).id, "f": flag.key}


def request(client, method, path, data, world, **headers):
    url = path.format(**world)
    if isinstance(data, str) and method == "get":
        return client.get(f"{url}?{data}" if data else url, **headers)
    if method == "form":
        return client.post(url, data, **headers)
    body = data if isinstance(data, bytes | str) else json.dumps(data).encode()
    return getattr(client, method)(url, body, content_type="application/json", **headers)


@pytest.mark.parametrize(("method", "path", "data"), PAGES, ids=[f"{m} {p}?{d}" for m, p, d in PAGES])
def test_dashboard_pages_answer_malformed_input_with_4xx(client, alice, world, method, path, data):
    client.force_login(alice)
    response = request(client, method, path, data, world)
    assert 400 <= response.status_code < 500, response.content[:300]


@pytest.mark.parametrize(("method", "path", "data"), API, ids=[f"{m} {p} {str(d)[:60]}" for m, p, d in API])
def test_apis_answer_malformed_input_with_a_json_4xx(client, alice, world, method, path, data):
    response = request(client, method, path, data, world, HTTP_AUTHORIZATION=f"Bearer {create_token(alice)}")
    assert 400 <= response.status_code < 500, response.content[:300]
    assert "detail" in response.json()


def test_the_list_rows_htmx_poll_answers_malformed_filters_with_400(client, alice, world):
    client.force_login(alice)
    assert client.get("/groups/?query=%00", HTTP_HX_REQUEST="true").status_code == 400


def test_a_trigger_url_with_a_nul_is_refused(client):
    assert client.post("/hooks/flags/sytrg_%00/").status_code == 400


def test_a_huge_audit_log_page_shows_the_last_page(client, alice, world):
    client.force_login(alice)
    response = client.get(f"/projects/{world['p']}/flag-audit/", {"page": HUGE})
    assert response.status_code == 200
    assert response.context["page"].number == 1
