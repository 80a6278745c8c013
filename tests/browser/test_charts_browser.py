"""The charts in a real browser (issue 10, item 6): marker labels in rows above the bars, never on
them nor on each other; whole-number ticks for a few events; the project's error chart above the
group list; a young group's sparkline over its own life."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from flags import changes
from tests.live import wait_for
from tests.triage.helpers import crash, send_live
from triage.models import ErrorGroup, Release

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.fixture
def crowded(live_stack, alice, project):
    """Two groups of three events each, and three labels within three minutes: two releases, and
    two changes (just now: the audit log cannot be back-dated) of a flag the events carry."""
    flags = {"flags": {"values": [{"flag": "dark-mode", "result": True}]}}
    public_key = project.keys.first().public_key
    for release, function in (("shop@1.4.0", "price"), ("shop@1.5.0", "pay")):
        for _ in range(3):
            send_live(live_stack.url, project, crash(function, release=release, contexts=flags), public_key)
    wait_for(lambda: ErrorGroup.objects.filter(project=project, event_count=3).count() == 2, timeout=60, what="two groups digested")
    now = timezone.now()
    Release.objects.filter(project=project, version="shop@1.4.0").update(first_seen=now - dt.timedelta(minutes=3))
    Release.objects.filter(project=project, version="shop@1.5.0").update(first_seen=now - dt.timedelta(minutes=2))
    flag = changes.create_flag(project, key="dark-mode", owner=alice, actor=alice, source="api", environments={"production": {"enabled": True}})
    changes.disable_flag(flag, "production", actor=alice, reason="contrast bug", source="api")
    return ErrorGroup.objects.filter(project=project).order_by("id").first()


def label_boxes(page, chart: str) -> tuple[list[dict], dict]:
    plot = page.locator(f"{chart} .nsewdrag").first.bounding_box()  # the plot area, where the bars are
    labels = [box for box in (t.bounding_box() for t in page.locator(f"{chart} .annotation-text").all()) if box]
    return labels, plot


def assert_labels_clear(labels: list[dict], plot: dict) -> None:
    assert len(labels) >= 3
    for box in labels:
        assert box["y"] + box["height"] <= plot["y"] + 1, (box, plot)  # above the bars, not on them
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            apart = (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                     or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])
            assert apart, (a, b)


def y_ticks(page, chart: str) -> list[str]:
    return [t.strip() for t in page.locator(f"{chart} .ytick text").all_text_contents()]


def test_group_chart_labels_clear_of_bars_and_each_other_with_whole_ticks(live_stack, page, login, alice, crowded, tmp_path):
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, alice)
    page.goto(f"{live_stack.url}/groups/{crowded.id}/")
    page.wait_for_selector(".chart[data-loaded='1h'] .main-svg")
    page.locator(".chart .annotation-text", has_text="dark-mode").first.wait_for()
    page.screenshot(path=str(tmp_path / "group-chart.png"), full_page=True)
    assert_labels_clear(*label_boxes(page, ".chart"))
    ticks = y_ticks(page, ".chart")
    assert ticks and all(re.fullmatch(r"\d+", t) for t in ticks), ticks  # 0 1 2 3, not 0.5 steps
    assert errors == []


def test_group_list_has_the_projects_error_chart_and_young_sparklines(live_stack, page, login, alice, project, crowded, tmp_path):
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login(page, alice)
    page.goto(f"{live_stack.url}/groups/?project={project.id}&window=24h")
    page.wait_for_selector("#project-chart[data-loaded='1h'] .main-svg")
    page.locator("#project-chart .annotation-text", has_text="dark-mode").first.wait_for()
    page.screenshot(path=str(tmp_path / "group-list-chart.png"), full_page=True)
    assert_labels_clear(*label_boxes(page, "#project-chart"))
    bars = page.evaluate("() => document.getElementById('project-chart').querySelector('.js-plotly-plot').data[0].y")
    assert sum(bars) == 6  # both groups' events
    # Both groups are minutes old: their sparklines span their life, not 24 empty hours.
    spans = page.locator("tr.group-row .spark-col .small").all_inner_texts()
    assert len(spans) == 2 and all(re.search(r"\b3 in \d+ min\b", s) for s in spans), spans
    page.click("#project-chart >> xpath=ancestor::section >> button[data-range='24h']")
    page.wait_for_selector("#project-chart[data-loaded='24h'] .main-svg")
    page.screenshot(path=str(tmp_path / "group-list-chart-24h.png"), full_page=True)
    assert errors == []
