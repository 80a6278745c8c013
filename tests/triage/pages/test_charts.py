"""triage.pages.charts: series → Plotly figure JSON and sparkline points."""

import datetime as dt

import plotly.graph_objects as go

from triage.pages import charts

START = int(dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC).timestamp())


def at(minutes: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(START + 60 * minutes, tz=dt.UTC)


def test_figure_has_one_bar_per_bucket_at_its_start_time():
    figure = charts.spike_figure([0, 3, 5], START, 60)
    bars = figure["data"][0]
    assert bars["type"] == "bar"
    assert bars["y"] == [0, 3, 5]
    assert bars["x"] == ["2026-03-02T12:00:00Z", "2026-03-02T12:01:00Z", "2026-03-02T12:02:00Z"]


def test_markers_inside_the_range_become_lines_and_labels():
    markers = [charts.Marker(at(1), "release", "shop@1.5.0"), charts.Marker(at(2), "flag", "new-checkout disabled")]
    figure = charts.spike_figure([1, 2, 3], START, 60, markers)
    assert [s["x0"] for s in figure["layout"]["shapes"]] == ["2026-03-02T12:01:00Z", "2026-03-02T12:02:00Z"]
    assert [a["text"] for a in figure["layout"]["annotations"]] == ["shop@1.5.0", "new-checkout disabled"]


def test_markers_of_one_kind_in_one_bucket_share_a_line_and_a_label():
    markers = [charts.Marker(at(1.5), "flag", "a disabled"), charts.Marker(at(1), "flag", "a enabled"), charts.Marker(at(1), "release", "shop@2")]
    layout = charts.spike_figure([1, 2, 3], START, 60, markers)["layout"]
    assert sorted(a["text"] for a in layout["annotations"]) == ["a disabled +1", "shop@2"]  # the latest names it
    assert len(layout["shapes"]) == 2


def test_markers_outside_the_range_are_left_out():
    figure = charts.spike_figure([1, 2], START, 60, [charts.Marker(at(-5), "release", "old"), charts.Marker(at(9), "flag", "later")])
    assert figure["layout"]["shapes"] == [] and figure["layout"]["annotations"] == []


def test_marker_labels_are_html_escaped_because_plotly_renders_html_in_annotations():
    figure = charts.spike_figure([1], START, 60, [charts.Marker(at(0), "release", "<img src=x onerror=alert(1)>", "<b>x</b>")])
    label = figure["layout"]["annotations"][0]
    assert label["text"] == "&lt;img src=x onerror=alert(1)&gt;"
    assert label["hovertext"] == "&lt;b&gt;x&lt;/b&gt;"


def test_figure_is_valid_plotly_json():
    figure = charts.spike_figure([1, 0, 4], START, 3600, [charts.Marker(at(30), "release", "shop@2")])
    go.Figure(figure)  # raises on any property plotly.js would not understand


def test_range_start_puts_now_in_the_last_bucket():
    now = dt.datetime(2026, 3, 2, 12, 59, 30, tzinfo=dt.UTC)
    start = charts.range_start(now, 60, 60)
    assert start == START and start + 60 * 59 <= now.timestamp() < start + 60 * 60


def test_sparkline_scales_the_highest_count_to_the_top_and_zero_to_the_bottom():
    points = charts.sparkline_points([0, 10], width=100, height=20).split()
    assert points == ["0.0,18.5", "100.0,1.5"]


def test_sparkline_of_no_events_is_a_flat_line_at_the_bottom():
    assert {p.split(",")[1] for p in charts.sparkline_points([0, 0, 0]).split()} == {"26.5"}
