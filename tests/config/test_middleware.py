"""config.middleware: the Content-Security-Policy header on every page, pages without inline
script, and NUL characters in a URL refused before any view."""

import re

import pytest

from tests.factories import grant
from tests.flags.factories import make_flag
from tests.triage.helpers import crash, push
from triage.models import ErrorGroup

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def script_sources(policy: str) -> list[str]:
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    return directives["script-src"].split()


@pytest.fixture
def pages(alice, project, redis_client):
    """Every kind of dashboard page, with data, for a user who may do everything."""
    grant(alice, "triage.change_errorgroup", "flags.add_flag", "flags.change_flag", "flags.change_trigger", "flags.change_sdkkey")
    alice.is_staff = alice.is_superuser = True
    alice.save()
    push(project, redis_client, [crash(release="shop@1.4.0"), crash(release="shop@1.5.0")])
    flag = make_flag(project, "new-checkout")
    group = ErrorGroup.objects.get(project=project)
    p = project.id
    return [
        "/groups/", f"/groups/{group.id}/", "/releases/", "/releases/compare/?base=shop@1.4.0&target=shop@1.5.0",
        "/flag-errors/", f"/flag-errors/{p}/disable/?key={flag.key}&environment=production", "/developers/", "/projects/",
        f"/projects/{p}/settings/", f"/projects/{p}/start/", "/dead-letters/", f"/projects/{p}/flags/",
        f"/projects/{p}/flags/{flag.key}/", f"/projects/{p}/flag-audit/", f"/projects/{p}/flag-cleanup/",
        f"/projects/{p}/sdk-keys/", "/admin/", "/admin/flags/flag/", f"/admin/flags/flag/{flag.id}/change/",
    ]


def test_every_page_sends_a_policy_without_inline_script_or_eval(client, alice, pages):
    client.force_login(alice)
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert script_sources(response["Content-Security-Policy"]) == ["'self'"], url


def test_no_page_has_an_inline_script_or_event_handler(client, alice, pages):
    client.force_login(alice)
    for url in [*pages, "/groups/?status=all"]:
        html = client.get(url).content.decode()
        assert INLINE_SCRIPT.findall(html) == [], url
        assert HANDLER.findall(html) == [], url


def test_the_login_page_sends_the_policy_too(client):
    assert "script-src 'self'" in client.get("/login/")["Content-Security-Policy"]


@pytest.mark.parametrize("url", ["/groups/?query=%00", "/groups/?%00=1", "/projects/1/flags/a%00b/"])
def test_a_nul_in_the_url_is_refused_with_400(client, alice, url):
    client.force_login(alice)
    assert client.get(url).status_code == 400


def test_a_nul_in_an_api_url_is_refused_with_json(client):
    response = client.get("/api/0/projects/1/groups/?release=%00")
    assert response.status_code == 400
    assert "NUL" in response.json()["detail"]
