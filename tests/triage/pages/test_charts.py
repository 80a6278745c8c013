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


# --- Issue 10, item 6: labels that neither collide nor cover bars; whole-number ticks -------------


def _spans(layout, plot_px: int = charts.LABEL_PLOT_PX):
    """Each label's horizontal extent in pixels of a plot `plot_px` wide, and its row."""
    start, end = (dt.datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() for t in layout["xaxis"]["range"])
    spans = []
    for label in layout["annotations"]:
        x = (dt.datetime.fromisoformat(label["x"].replace("Z", "+00:00")).timestamp() - start) / (end - start) * plot_px
        width = charts.label_width_px(label["text"])
        left = x - width if label["xanchor"] == "right" else x
        spans.append((left, left + width, label["yshift"]))
    return spans


def test_labels_of_nearby_markers_go_on_separate_rows_above_the_bars():
    markers = [charts.Marker(at(10), "release", "shop@1.5.0"), charts.Marker(at(11), "flag", "new-checkout disabled in production"),
               charts.Marker(at(12), "flag", "dark-mode enabled"), charts.Marker(at(40), "release", "shop@1.6.0")]
    layout = charts.spike_figure([3] * 60, START, 60, markers)["layout"]
    spans = _spans(layout)
    for i, (left, right, row) in enumerate(spans):
        for other_left, other_right, other_row in spans[i + 1:]:
            assert row != other_row or right <= other_left or other_right <= left, spans
    assert len({row for *_, row in spans}) == 3  # the fourth, far to the right, reuses the first row
    for label in layout["annotations"]:
        # Above the plot area (y=1 is its top edge) and without a box: nothing is painted on a bar.
        assert label["y"] == 1 and label["yref"] == "paper" and label["yanchor"] == "bottom"
        assert "bgcolor" not in label
    assert layout["margin"]["t"] >= 3 * charts.LABEL_ROW_PX  # room for the three rows


def test_a_chart_without_markers_keeps_a_small_top_margin():
    assert charts.spike_figure([1, 2], START, 60)["layout"]["margin"]["t"] < charts.LABEL_ROW_PX + 12


def test_a_single_event_gets_whole_number_ticks():
    axis = charts.spike_figure([0, 1, 0], START, 60)["layout"]["yaxis"]
    assert axis["tick0"] == 0 and axis["dtick"] == 1 and axis["tickformat"] == ",d"


def test_no_events_still_shows_a_zero_to_one_axis_not_fractions():
    axis = charts.spike_figure([0, 0], START, 60)["layout"]["yaxis"]
    assert axis["range"] == [0, 1] and axis["dtick"] == 1


def test_big_counts_get_a_round_whole_step():
    for top, step in [(4, 1), (7, 2), (12, 5), (30, 10), (95, 20), (1234, 500)]:
        assert charts.spike_figure([0, top], START, 60)["layout"]["yaxis"]["dtick"] == step, top


def test_tick_figure_is_still_valid_plotly_json():
    go.Figure(charts.spike_figure([0, 1], START, 60, [charts.Marker(at(1), "flag", "a disabled")]))


# --- Sparklines over the group's life, not an empty window -----------------------------------------


NOW = dt.datetime(2026, 3, 2, 18, 0, 30, tzinfo=dt.UTC)


def test_a_group_younger_than_half_the_window_gets_a_window_of_its_own_life():
    step, buckets = charts.life_window(NOW - dt.timedelta(minutes=10), NOW, 3600, 24)
    assert step == 60 and 10 <= buckets <= 12  # a point a minute over its ten minutes
    step, buckets = charts.life_window(NOW - dt.timedelta(hours=3), NOW, 3600, 24)
    assert step * buckets >= 3 * 3600 and step * (buckets - 1) < 3 * 3600 + step and buckets <= 48


def test_an_older_group_keeps_the_lists_window():
    assert charts.life_window(NOW - dt.timedelta(hours=20), NOW, 3600, 24) == (3600, 24)
    assert charts.life_window(NOW - dt.timedelta(days=40), NOW, 86400, 30) == (86400, 30)


def test_a_group_seen_seconds_ago_still_gets_a_few_points():
    step, buckets = charts.life_window(NOW - dt.timedelta(seconds=20), NOW, 3600, 24)
    assert step == 60 and buckets >= 5


def test_a_long_label_is_shortened_but_keeps_its_count_of_hidden_markers():
    markers = [charts.Marker(at(1), "flag", "checkout-redesign-2026 disabled in production"),
               charts.Marker(at(1.5), "flag", "checkout-redesign-2026 enabled in production-eu-west")]
    label = charts.spike_figure([1, 2, 3], START, 60, markers)["layout"]["annotations"][0]
    assert label["text"].endswith("… +1") and len(label["text"]) == charts.LABEL_MAX_CHARS
    assert "production-eu-west" in label["hovertext"]
