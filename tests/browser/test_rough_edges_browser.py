"""The rough edges a newcomer hit in Chromium at 1,400 px (issue 10, bug 5): a refused flag keeps
what was typed, the admin's flag page fits the window, the worker's changes are Switchyard's, the
list's filters show their whole labels on one row, breadcrumb times read like the rest of the UI,
and keys break between words, never inside one."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests.browser.sending import send_events
from tests.factories import grant, make_event
from tests.flags.factories import make_flag
from tests.live import wait_for
from triage import actions
from triage.models import ErrorGroup

pytestmark = [pytest.mark.browser, pytest.mark.integration]
LONG_KEYS = ["newcomer-flag", "checkout-discount-rounding", "search.ranking-v2"]

# The line boxes of an element's text: each character's top, so a line break is where it changes.
LINES = """element => {
  const lines = [];
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  let top = null;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let i = 0; i < node.length; i++) {
      const range = document.createRange();
      range.setStart(node, i); range.setEnd(node, i + 1);
      const rect = range.getClientRects()[0];
      if (!rect) continue;
      if (top === null || rect.top > top + 2) { lines.push(""); top = rect.top; }
      lines[lines.length - 1] += node.data[i];
    }
  }
  return lines;
}"""


def broken_inside_a_word(lines: list[str]) -> bool:
    return any(a.rstrip() and b.lstrip() and a.rstrip()[-1].isalnum() and b.lstrip()[0].isalnum() for a, b in zip(lines, lines[1:], strict=False))


def test_a_refused_flag_keeps_what_was_typed(live_stack, page, login, alice, project, tmp_path):
    grant(alice, "flags.add_flag")
    login(page, alice)
    page.goto(f"{live_stack.url}/projects/{project.id}/flags/")
    page.fill("input[name=key]", "Bad Key!")
    page.fill("input[name=name]", "bad")
    page.fill("textarea[name=description]", "Routes search to the new cluster")
    page.fill("input[name=team]", "search")
    page.click("text=Create flag")
    page.wait_for_selector("ul.messages .error")
    assert page.input_value("input[name=key]") == "Bad Key!"
    assert page.input_value("input[name=name]") == "bad"
    assert page.input_value("textarea[name=description]") == "Routes search to the new cluster"
    assert page.input_value("input[name=team]") == "search"
    page.screenshot(path=str(tmp_path / "flag-create-refused.png"), full_page=True)


def test_the_admin_flag_page_fits_the_window(live_stack, page, login, django_user_model, project, tmp_path):
    root = django_user_model.objects.create_superuser("root", "root@example.com", "pw-root")
    project.members.add(root)
    flag = make_flag(project, "checkout-discount-rounding", environments={
        "production": {"enabled": True, "rollout_percentage": 50, "rules": [
            {"name": "beta users", "conditions": [{"attribute": "beta", "op": "equals", "value": True}], "variant": "on"}]},
        "staging": {"enabled": True}, "development": {"enabled": False}})
    login(page, root)
    page.goto(f"{live_stack.url}/admin/flags/flag/{flag.id}/change/")
    page.wait_for_selector("#content")
    page.screenshot(path=str(tmp_path / "admin-flag.png"), full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1400, f"the admin's flag page is {width} px wide in a 1,400 px window"


def test_the_group_page_reads_like_the_rest_of_the_ui(live_stack, page, login, alice, project, tmp_path):
    crumb_time = timezone.now().replace(microsecond=0) - dt.timedelta(seconds=42)
    event = make_event(release="shop@1.0.0", breadcrumbs={"values": [
        {"timestamp": crumb_time.isoformat(), "category": "http", "message": "GET /cart"},
        {"timestamp": crumb_time.timestamp() + 1, "category": "query", "message": "SELECT 1"},  # the protocol allows seconds too
    ]})
    event["contexts"]["flags"] = {"values": [{"flag": key, "result": True} for key in LONG_KEYS]}
    send_events(live_stack.url, project, [event])
    group = wait_for(lambda: ErrorGroup.objects.filter(project=project).first(), what="the group")
    actions.resolve(group, actor=alice, now=timezone.now())
    send_events(live_stack.url, project, [make_event(release="shop@1.1.0")])
    wait_for(lambda: ErrorGroup.objects.get(pk=group.pk).substatus == "regressed", what="the regression")

    login(page, alice)
    page.goto(f"{live_stack.url}/groups/{group.id}/?event={event['event_id']}")
    history = page.inner_text(".history") if page.locator(".history").count() else page.inner_text("main")
    assert "Switchyard regressed" in history and "someone" not in history

    page.click("text=Breadcrumbs")
    times = page.locator("details.breadcrumbs time")
    assert times.count() == 2
    iso = times.nth(1).get_attribute("datetime")  # newest first: the ISO string is the older crumb
    assert dt.datetime.fromisoformat(iso) == crumb_time
    assert times.nth(1).get_attribute("title") == iso
    assert times.nth(1).inner_text() == crumb_time.strftime("%H:%M:%S")
    assert not re.search(r"\d{4}-\d\d-\d\dT", page.inner_text("details.breadcrumbs table"))  # no raw ISO string left

    for key in LONG_KEYS:
        cell = page.locator("table.kv th", has_text=key)
        lines = cell.evaluate(LINES)
        assert not broken_inside_a_word(lines), f"{key} shown as {lines}"
    page.screenshot(path=str(tmp_path / "group-page.png"), full_page=True)


def test_the_filter_bar_shows_every_label_whole_on_one_row(live_stack, page, login, alice, project, tmp_path):
    send_events(live_stack.url, project, [make_event(release="shop@1.4.0-with-a-long-build-name", environment="production")])
    wait_for(lambda: ErrorGroup.objects.filter(project=project).exists(), what="the group")
    login(page, alice)
    page.goto(live_stack.url + "/groups/")
    selects = page.locator("form.filters select")
    tops = set()
    for i in range(selects.count()):
        select = selects.nth(i)
        # The select's own width against its selected option's text in the select's font, plus its arrow.
        needed, has = select.evaluate("""s => {
            const ctx = document.createElement('canvas').getContext('2d');
            const style = getComputedStyle(s);
            ctx.font = style.font;
            const text = s.options[s.selectedIndex].text;
            const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
            return [ctx.measureText(text).width + padding + 16, s.clientWidth];
        }""")
        assert has >= needed, f"{select.get_attribute('aria-label')}: {has} px for a label of {needed} px"
        tops.add(round(select.bounding_box()["y"]))
    boxes = [(selects.nth(i).get_attribute("aria-label"), selects.nth(i).bounding_box()) for i in range(selects.count())]
    assert len(tops) == 1, f"the filters wrap onto {len(tops)} rows: {boxes}"
    page.screenshot(path=str(tmp_path / "filter-bar.png"), full_page=True)
