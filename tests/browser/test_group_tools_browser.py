"""Issue 10's Sentry tools in Chromium, on events sent through the live server and digested by the
live worker: bulk actions and merge in the list, unmerge on the group page, tag breakdowns and tag
search, and the fingerprint rules editor with its preview. Screenshots go to the test's tmp dir."""

from __future__ import annotations

import pytest
import redis
from django.conf import settings

from tests.factories import grant
from tests.live import wait_for
from tests.triage.digest.test_tags import CHROME_MAC, FIREFOX_LINUX
from tests.triage.helpers import crash, send_live, settled
from triage.models import ErrorGroup, FingerprintRulesChange, GroupActivity

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.fixture
def groups(live_stack, project):
    """price: 3 events from Chrome (paid users); tax: 2 from Firefox; ship: 1 TimeoutError."""
    chrome = {"headers": {"User-Agent": CHROME_MAC}, "url": "https://shop.example.com/cart"}
    events = [crash("price", request=chrome, user={"id": f"u{i}", "segment": "paid"}) for i in range(3)]
    events += [crash("tax", request={"headers": {"User-Agent": FIREFOX_LINUX}}) for _ in range(2)]
    events += [crash("ship", exc_type="TimeoutError")]
    for event in events:
        send_live(live_stack.url, project, event)
    client = redis.Redis.from_url(settings.REDIS_URL)
    wait_for(lambda: settled(client, 6), timeout=60, what="six events digested")
    return {g.culprit.rsplit(" ", 1)[-1]: g for g in ErrorGroup.objects.filter(project=project)}


def rows(page) -> list[int]:
    """The group ids of the list's rows, sorted (playwright's own polling would need eval, which the CSP forbids)."""
    return sorted(int(i) for i in page.locator("tr.group-row").evaluate_all("rows => rows.map(r => r.dataset.groupId)"))


@pytest.fixture
def triager(alice):
    return grant(alice, "triage.change_errorgroup", "projects.change_project")


def test_select_all_resolve_then_merge_two_from_the_list(live_stack, page, login, triager, groups, tmp_path):
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, triager)
    page.goto(live_stack.url + "/groups/?sort=events")
    bar = page.locator("#bulk")
    assert bar.locator("button[value=resolve]").is_disabled()
    page.check("[data-select-page]")
    bar.locator("text=3 selected").wait_for()
    page.screenshot(path=str(tmp_path / "bulk-selected.png"), full_page=True)
    page.uncheck(f"input[name=group][value='{groups['ship'].id}']")
    bar.locator("text=2 selected").wait_for()
    # the rows' live refresh swaps them: the selection stays
    page.evaluate("htmx.ajax('GET', location.href, {source: '#groups', target: '#groups', swap: 'outerHTML'})")
    wait_for(lambda: page.locator("input[name=group]:checked").count() == 2 and rows(page) == sorted(
        [groups["price"].id, groups["tax"].id, groups["ship"].id]), what="the refreshed rows with two still checked")
    bar.locator("button[value=resolve]").click()
    page.locator("text=Resolved 2 groups.").wait_for()
    assert {n: ErrorGroup.objects.get(id=g.id).status for n, g in groups.items()} == {
        "price": "resolved", "tax": "resolved", "ship": "unresolved"}
    assert GroupActivity.objects.filter(kind="resolved", actor=triager).count() == 2

    page.goto(live_stack.url + "/groups/?status=all&sort=events")
    page.check(f"input[name=group][value='{groups['price'].id}']")
    assert page.locator("#bulk button[value=merge]").is_disabled()  # merging needs two
    page.check(f"input[name=group][value='{groups['tax'].id}']")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#bulk button[value=merge]")
    page.locator(f"text=Merged 1 group into #{groups['price'].id}").wait_for()
    page.screenshot(path=str(tmp_path / "bulk-merged.png"), full_page=True)
    assert not ErrorGroup.objects.filter(id=groups["tax"].id).exists()
    assert ErrorGroup.objects.get(id=groups["price"].id).event_count == 5
    assert errors == []


def test_unmerge_from_the_group_page_and_new_events_follow(live_stack, page, login, triager, groups, project, tmp_path):
    from django.utils import timezone

    from triage.grouping.regroup import merge_groups

    price, tax = groups["price"], groups["tax"]
    merge_groups(redis.Redis.from_url(settings.REDIS_URL), [price.id, tax.id], actor=triager, now=timezone.now())
    login(page, triager)
    page.goto(f"{live_stack.url}/groups/{tax.id}/")  # the merged group's page leads to the one it went into
    assert page.url.endswith(f"/groups/{price.id}/")
    page.check(f"#unmerge input[value='{tax.fingerprint}']")
    page.screenshot(path=str(tmp_path / "unmerge-checked.png"), full_page=True)
    page.click("#unmerge button[type=submit]")
    page.locator("text=Split 2 events out into group #").wait_for()
    new = ErrorGroup.objects.exclude(id__in=[g.id for g in groups.values()]).get()
    assert new.event_count == 2 and ErrorGroup.objects.get(id=price.id).event_count == 3
    send_live(live_stack.url, project, crash("tax", request={"headers": {"User-Agent": FIREFOX_LINUX}}))
    wait_for(lambda: ErrorGroup.objects.get(id=new.id).event_count == 3, timeout=60, what="the next tax event in the new group")
    page.click(f"a[href='/groups/{new.id}/']")
    page.locator("h1.group-title").wait_for()
    assert page.url.endswith(f"/groups/{new.id}/")


def test_tag_breakdowns_link_to_the_tag_search(live_stack, page, login, triager, groups, tmp_path):
    login(page, triager)
    page.goto(f"{live_stack.url}/groups/{groups['price'].id}/")
    segment = page.locator(".tag-breakdown[data-tag='user.segment']")
    assert "paid" in segment.inner_text() and "100%" in segment.inner_text()
    assert "Chrome 120" in page.locator(".tag-breakdown[data-tag='browser']").inner_text()
    page.locator("#tags").screenshot(path=str(tmp_path / "tags.png"))
    page.locator(".tag-breakdown[data-tag='browser'] a", has_text="Chrome 120").click()
    page.wait_for_selector("tr.group-row")
    assert 'browser:"Chrome 120"' in page.input_value("input[name=query][type=search]")
    assert "query=browser" in page.url
    assert rows(page) == [groups["price"].id]


def test_tag_search_and_a_bad_query(live_stack, page, login, triager, groups, tmp_path):
    login(page, triager)
    page.goto(live_stack.url + "/groups/")
    box = page.locator("input[name=query][type=search]")
    box.fill("browser.name:Firefox is:unresolved")
    box.press("Enter")
    wait_for(lambda: rows(page) == [groups["tax"].id], what="only the Firefox group")
    assert "query=browser.name%3AFirefox" in page.url  # the search lives in the URL
    box.fill('browser:"Chrome 120')
    box.press("Enter")
    page.locator("[data-search-error]").wait_for()
    assert "never closed" in page.inner_text("[data-search-error]")
    page.screenshot(path=str(tmp_path / "search-error.png"), full_page=True)
    page.goto(live_stack.url + "/groups/?query=is%3Aresloved")
    assert "is not a state" in page.inner_text("[data-search-error]")


def test_fingerprint_rules_preview_then_save(live_stack, page, login, triager, groups, project, tmp_path):
    login(page, triager)
    page.goto(f"{live_stack.url}/projects/{project.id}/settings/")
    page.click("text=edit and preview the fingerprint rules")
    page.fill("textarea[name=rules]", "error.type:ValueError -> value-errors")
    page.click("button[value=preview]")
    page.locator("#preview").wait_for()
    changed = page.locator("#preview tr.would-change")
    assert sorted(int(i) for i in changed.evaluate_all("rows => rows.map(r => r.dataset.groupId)")) == sorted(
        [groups["price"].id, groups["tax"].id])
    assert "a new group" in page.inner_text("#preview")
    page.screenshot(path=str(tmp_path / "rules-preview.png"), full_page=True)
    assert not FingerprintRulesChange.objects.exists()  # a preview saves nothing
    page.fill("input[name=reason]", "one group for bad prices")
    page.click("button[value=save]")
    page.locator("text=Saved. Events digested").wait_for()
    assert "one group for bad prices" in page.inner_text("main")
    change = FingerprintRulesChange.objects.get()
    assert (change.actor, change.after) == (triager, "error.type:ValueError -> value-errors")
