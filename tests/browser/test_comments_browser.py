"""In a real browser: the project's issue tracker set, a comment with an @mention (the member is
told, the text shown escaped), a prefilled new issue, and an existing ticket linked."""

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.sending import send_events
from tests.factories import grant
from tests.live import wait_for
from tests.triage.helpers import crash
from triage.models import AlertDelivery, ErrorGroup, GroupComment, GroupTicket

pytestmark = [pytest.mark.browser, pytest.mark.integration]
TEMPLATE = "https://github.com/acme/shop/issues/new?title={title}&body={body}"


def test_a_developer_comments_mentions_a_colleague_and_links_the_groups_tickets(live_stack, page, login, alice, bob, project, tmp_path):
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    grant(alice, "triage.add_groupcomment", "triage.change_errorgroup", "projects.change_project")
    send_events(live_stack.url, project, [crash("price", exc_type="PriceError")])
    group = wait_for(lambda: ErrorGroup.objects.filter(project=project).first(), timeout=60, what="the group")

    login(page, alice)
    page.goto(f"{live_stack.url}/projects/{project.id}/settings/")
    page.fill("input[name=url_template]", TEMPLATE)
    page.click("#issue-tracker ~ form button[type=submit]")
    page.wait_for_selector("text=Saved the issue tracker.")

    page.goto(f"{live_stack.url}/groups/{group.id}/")
    page.fill("#comment-text", "@bob is this the <script>alert('x')</script> rounding bug again?")
    page.click(".comment-form button[type=submit]")
    page.wait_for_selector("text=Commented; told bob.")
    comment = page.locator(".comment-text").first
    assert comment.inner_text() == "@bob is this the <script>alert('x')</script> rounding bug again?"
    assert comment.locator(".mention").inner_text() == "@bob"
    delivery = AlertDelivery.objects.get(trigger="mention")
    assert (delivery.target, delivery.details["group_id"]) == (bob.email, group.id)
    assert GroupComment.objects.get().mentions == ["bob"]

    href = page.get_attribute("a.new-issue", "href")
    parts = urlsplit(href)
    assert (parts.netloc, parts.path) == ("github.com", "/acme/shop/issues/new")
    assert parse_qs(parts.query)["title"] == [group.title]
    assert page.get_attribute("a.new-issue", "rel") == "noopener noreferrer"

    page.fill(".ticket-form input[name=url]", "javascript:alert(1)")
    page.click(".ticket-form button[type=submit]")
    page.wait_for_selector("text=must start with http:// or https://")
    page.fill(".ticket-form input[name=url]", "https://github.com/acme/shop/issues/42")
    page.click(".ticket-form button[type=submit]")
    page.wait_for_selector("a.ticket-link")
    assert page.inner_text("a.ticket-link") == "https://github.com/acme/shop/issues/42"
    assert list(GroupTicket.objects.values_list("url", flat=True)) == ["https://github.com/acme/shop/issues/42"]
    page.locator("#comments").scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "comments.png"), full_page=True)
    assert errors == []
