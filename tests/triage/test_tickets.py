"""Issue-tracker links: a project's new-issue URL template filled from a group, and linked tickets."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from tests.factories import grant
from tests.triage.helpers import crash, push
from triage.models import ErrorGroup, GroupTicket, IssueTracker
from triage.tickets import check_template, link_ticket, new_issue_url, set_tracker

pytestmark = pytest.mark.django_db
GITHUB = "https://github.com/acme/shop/issues/new?title={title}&body={body}&labels=bug"


@pytest.fixture
def group(project, redis_client):
    push(project, redis_client, [crash(exc_type="ValueError")])
    group = ErrorGroup.objects.select_related("project", "first_release").get(project=project)
    ErrorGroup.objects.filter(pk=group.pk).update(title="Price & tax #1 <b>?x=1")
    return ErrorGroup.objects.select_related("project", "first_release").get(pk=group.pk)


def test_a_new_issue_url_carries_each_value_encoded_whole(group):
    url = new_issue_url(GITHUB, group)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "github.com", "/acme/shop/issues/new")
    query = parse_qs(parts.query)
    assert query["title"] == ["Price & tax #1 <b>?x=1"]  # one value: & and # could not split it
    assert query["labels"] == ["bug"]
    assert f"Switchyard group #{group.id} in shop" in query["body"][0]
    assert f"/groups/{group.id}/" in query["body"][0] and "first seen in shop@1.4.0" in query["body"][0]
    assert parts.fragment == ""


@pytest.mark.parametrize(("template", "why"), [
    ("javascript:alert(1)//{title}", "http:// or https://"),
    ("https://{project}.example.com/new?t={title}", "written out"),
    ("{url}", "http:// or https://"),
    ("https://github.com/new?title={tilte}", "Unknown placeholder {tilte}"),
    ("https://git hub.com/new", "spaces"),
    ("", "empty"),
])
def test_bad_templates_are_refused_with_why(template, why):
    with pytest.raises(ValueError, match=why.replace("{", r"\{").replace("}", r"\}").replace("/", "/")):
        check_template(template)


def test_saving_an_empty_template_removes_the_tracker(project, alice):
    set_tracker(project, GITHUB, actor=alice, now=timezone.now())
    assert IssueTracker.objects.get(project=project).url_template == GITHUB
    assert set_tracker(project, "  ", actor=alice, now=timezone.now()) is None
    assert not IssueTracker.objects.exists()


@pytest.mark.parametrize("url", ["ftp://tracker/1", "javascript:alert(1)", "https://", "tracker.example.com/1", "https://a b"])
def test_only_http_and_https_tickets_link(group, alice, url):
    with pytest.raises(ValueError):
        link_ticket(group, url, actor=alice, now=timezone.now())
    assert not GroupTicket.objects.exists()


def test_a_ticket_links_once(group, alice):
    link_ticket(group, "http://jira/browse/SHOP-7", actor=alice, now=timezone.now())
    with pytest.raises(ValueError, match="already linked"):
        link_ticket(group, "http://jira/browse/SHOP-7", actor=alice, now=timezone.now())


# --- The views ---------------------------------------------------------------------------------


def test_the_group_page_opens_a_prefilled_issue_and_shows_linked_tickets(client, alice, project, group):
    grant(alice, "projects.change_project", "triage.change_errorgroup")
    client.force_login(alice)
    assert client.post(f"/projects/{project.id}/issue-tracker/", {"url_template": GITHUB}).status_code == 302
    assert client.post(f"/groups/{group.id}/tickets/", {"url": "https://github.com/acme/shop/issues/42"}).status_code == 302
    body = client.get(f"/groups/{group.id}/").content.decode()
    expected = new_issue_url(GITHUB, group).replace("&", "&amp;")
    assert f'href="{expected}"' in body
    assert 'href="https://github.com/acme/shop/issues/42"' in body
    ticket = GroupTicket.objects.get()
    assert client.post(f"/groups/{group.id}/tickets/{ticket.id}/unlink/").status_code == 302
    assert not GroupTicket.objects.exists()


def test_a_bad_ticket_or_template_is_a_message_not_a_change(client, alice, project, group):
    grant(alice, "projects.change_project", "triage.change_errorgroup")
    client.force_login(alice)
    response = client.post(f"/groups/{group.id}/tickets/", {"url": "javascript:alert(1)"}, follow=True)
    assert "must start with http:// or https://" in response.content.decode()
    response = client.post(f"/projects/{project.id}/issue-tracker/", {"url_template": "https://x.example/{nope}"}, follow=True)
    assert "Unknown placeholder {nope}" in response.content.decode()
    assert not GroupTicket.objects.exists() and not IssueTracker.objects.exists()


def test_linking_and_the_tracker_need_their_permissions(client, bob, charlie, project, group):
    client.force_login(bob)  # a member without permissions
    assert client.post(f"/groups/{group.id}/tickets/", {"url": "https://t.example/1"}).status_code == 403
    assert client.post(f"/projects/{project.id}/issue-tracker/", {"url_template": GITHUB}).status_code == 403
    grant(charlie, "projects.change_project", "triage.change_errorgroup")
    client.force_login(charlie)  # permissions, but not a member
    assert client.post(f"/groups/{group.id}/tickets/", {"url": "https://t.example/1"}).status_code == 404
    assert client.post(f"/projects/{project.id}/issue-tracker/", {"url_template": GITHUB}).status_code == 404
    assert not GroupTicket.objects.exists() and not IssueTracker.objects.exists()
