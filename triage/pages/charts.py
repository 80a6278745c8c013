"""Series → Plotly figure JSON (the spike chart) and → SVG points (the list's sparklines).

Figures are plain dicts, not plotly.graph_objects: building a validated Figure costs tens of
milliseconds per chart, and the browser's plotly.js validates the same JSON anyway. Marker labels
come from SDKs (release names) and users (flag keys, reasons), so they are HTML-escaped: Plotly
renders a subset of HTML in annotation text and hover templates.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

RANGES = {
    # name: (bucket seconds, buckets) — per minute for the last hour, per hour for days
    "1h": (60, 60),
    "24h": (3600, 24),
    "7d": (3600, 24 * 7),
    "14d": (3600, 24 * 14),
}
MARKER_COLORS = {"release": "#2f5bd3", "flag": "#c0392b"}
BAR_COLOR = "#e67e22"
# Marker labels sit in rows above the plot area, never over the bars (a label box over a bar cut
# a white notch into it). Rows are assigned here, so labels of nearby markers do not overlap on a
# plot at least LABEL_PLOT_PX wide (the group page's chart is ~900 px at 1,400 px; a release's
# ~650), estimating LABEL_CHAR_PX per character of the 10 px font.
LABEL_PLOT_PX = 640
LABEL_CHAR_PX = 6
LABEL_ROW_PX = 14
LABEL_ROWS = 4
LABEL_MAX_CHARS = 32  # longer ones end in "…"; the hover text has the whole of it
TOP_MARGIN_PX = 8


@dataclass(frozen=True)
class Marker:
    """A moment on the time axis: a release first seen, or a flag change."""

    at: dt.datetime
    kind: str  # "release" or "flag"
    label: str
    detail: str = ""


def range_start(now: dt.datetime, step: int, buckets: int) -> int:
    """The epoch second the first bucket starts at, so the last bucket holds `now`."""
    current = int(now.timestamp()) // step * step
    return current - step * (buckets - 1)


def spike_figure(counts: Sequence[int], start: int, step: int, markers: Sequence[Marker] = ()) -> dict:
    """A bar chart of counts per bucket, with a dashed vertical line and a label per marker.

    Markers of one kind in the same bucket share a line and a label naming the latest of them
    ("new-checkout disabled +1": the state it was left in), whose hover text lists them all.
    """
    times = [_iso(start + step * i) for i in range(len(counts))]
    end = start + step * len(counts)
    clusters = _clusters([m for m in markers if start <= m.at.timestamp() < end], start, step)
    unit = "minute" if step == 60 else "hour" if step == 3600 else f"{step // 60} minutes"
    labels = _labels(clusters, start, end)
    rows = max((label["yshift"] // LABEL_ROW_PX + 1 for label in labels), default=0)
    return {
        "data": [
            {
                "type": "bar",
                "x": times,
                "y": list(counts),
                # Each bar spans its bucket, so a marker lands where it happened inside the bucket.
                "xperiod": step * 1000,
                "xperiodalignment": "start",
                "marker": {"color": BAR_COLOR},
                "name": "events",
                "hovertemplate": f"%{{y}} events in the {unit} from %{{x}}<extra></extra>",
            }
        ],
        "layout": {
            "margin": {"l": 40, "r": 10, "t": TOP_MARGIN_PX + rows * LABEL_ROW_PX, "b": 36},
            "height": 260 + rows * LABEL_ROW_PX,
            "bargap": 0.1,
            "showlegend": False,
            "xaxis": {"type": "date", "range": [_iso(start), _iso(end)]},
            "yaxis": count_axis(counts),
            "shapes": [_line(group[-1]) for group in clusters],
            "annotations": labels,
            "plot_bgcolor": "#fff",
            "paper_bgcolor": "#fff",
        },
    }


def count_axis(counts: Sequence[int]) -> dict:
    """A y axis of whole numbers: counts are integers, and Plotly's own ticks for a chart of one
    event were 0.2, 0.4, 0.6, 0.8. The step is 1, 2 or 5 × 10^n, about five ticks to the top."""
    top = max(counts, default=0)
    axis = {"rangemode": "tozero", "fixedrange": True, "tick0": 0, "dtick": tick_step(top), "tickformat": ",d"}
    if top == 0:
        axis["range"] = [0, 1]  # an empty chart still reads as "0 events", not a blank axis
    return axis


def tick_step(top: int, ticks: int = 5) -> int:
    raw = top / ticks
    if raw <= 1:
        return 1
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


def _clusters(markers: Sequence[Marker], start: int, step: int) -> list[list[Marker]]:
    groups: dict[tuple[int, str], list[Marker]] = {}
    for marker in sorted(markers, key=lambda m: m.at):
        groups.setdefault((int(marker.at.timestamp() - start) // step, marker.kind), []).append(marker)
    return list(groups.values())


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _line(marker: Marker) -> dict:
    at = _iso(marker.at.timestamp())
    color = MARKER_COLORS.get(marker.kind, "#555")
    return {
        "type": "line", "xref": "x", "yref": "paper", "x0": at, "x1": at, "y0": 0, "y1": 1,
        "line": {"color": color, "width": 1.5, "dash": "dot" if marker.kind == "release" else "dash"},
    }


def label_width_px(text: str) -> int:
    """The estimated width of a label's (HTML-escaped) text in the 10 px font."""
    return len(html.unescape(text)) * LABEL_CHAR_PX + 4


def _labels(clusters: list[list[Marker]], start: int, end: int) -> list[dict]:
    """One label per cluster, in the first row above the plot where it overlaps no other label
    (estimated on a LABEL_PLOT_PX-wide plot); the rightmost quarter's labels end at their line,
    so they stay on the chart. With more overlapping labels than rows, the fullest row takes more."""
    placed = []
    row_ends = [-math.inf] * LABEL_ROWS
    for group in sorted(clusters, key=lambda g: g[-1].at):
        latest = group[-1]
        more = f" +{len(group) - 1}" if len(group) > 1 else ""
        name = latest.label if len(latest.label) + len(more) <= LABEL_MAX_CHARS else latest.label[: LABEL_MAX_CHARS - len(more) - 1] + "…"
        text = html.escape(name + more)
        position = (latest.at.timestamp() - start) / (end - start)
        right_side = position > 0.75
        x_px, width = position * LABEL_PLOT_PX, label_width_px(text)
        left = x_px - width if right_side else x_px
        free = [row for row, row_end in enumerate(row_ends) if row_end <= left]
        row = free[0] if free else min(range(LABEL_ROWS), key=lambda r: row_ends[r])
        row_ends[row] = left + width + 4
        placed.append({
            "x": _iso(latest.at.timestamp()), "xref": "x", "yref": "paper", "y": 1, "yanchor": "bottom",
            "yshift": row * LABEL_ROW_PX, "xanchor": "right" if right_side else "left",
            "text": text, "hovertext": "<br>".join(html.escape(m.detail or m.label) for m in group),
            "showarrow": False, "font": {"size": 10, "color": MARKER_COLORS.get(latest.kind, "#555")},
        })
    return placed


def sparkline_points(counts: Sequence[int], width: int = 120, height: int = 28) -> str:
    """SVG polyline points for counts scaled into width × height (baseline at the bottom)."""
    if not counts:
        return ""
    top = max(max(counts), 1)
    last = max(len(counts) - 1, 1)
    pad = 1.5  # keeps the stroke inside the box
    points = []
    for i, count in enumerate(counts):
        x = i * width / last
        y = height - pad - (height - 2 * pad) * count / top
        points.append(f"{x:.1f},{y:.1f}")
    return " ".join(points)


# --- Sparklines over a young group's life ----------------------------------------------------------

# Steps a young group's sparkline may use (all whole minutes, as the counts are per minute).
LIFE_STEPS = (60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400)
LIFE_MIN_BUCKETS = 5
LIFE_MAX_BUCKETS = 48


def life_window(first_seen: dt.datetime, now: dt.datetime, step: int, buckets: int) -> tuple[int, int]:
    """The (step, buckets) of a group's sparkline: the list's window, or, for a group younger than
    half of it, a window from its first bucket to now at the finest step that fits in
    LIFE_MAX_BUCKETS. A group seen for 10 minutes in a 24 h window had all its events in the last
    of 24 hourly points, so every new group's line looked alike; over its own life it shows
    whether it is growing, steady or over. (A log scale would not help: the trouble is time, not
    height: all of it fell into one bucket.)"""
    life = now.timestamp() - first_seen.timestamp()
    if life * 2 >= step * buckets:
        return step, buckets
    now_s, first_s = int(now.timestamp()), int(first_seen.timestamp())
    for life_step in LIFE_STEPS:
        if life_step > step:
            break
        needed = now_s // life_step - first_s // life_step + 1
        if needed <= LIFE_MAX_BUCKETS:
            return life_step, max(needed, LIFE_MIN_BUCKETS)
    return step, buckets


def span_label(seconds: int) -> str:
    """"12 min", "5 h", "3 d": a sparkline's span, as the row shows it."""
    if seconds < 3600:
        return f"{max(seconds // 60, 1)} min"
    if seconds < 2 * 86400:
        return f"{round(seconds / 3600)} h"
    return f"{round(seconds / 86400)} d"
