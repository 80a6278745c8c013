"""Series → Plotly figure JSON (the spike chart) and → SVG points (the list's sparklines).

Figures are plain dicts, not plotly.graph_objects: building a validated Figure costs tens of
milliseconds per chart, and the browser's plotly.js validates the same JSON anyway. Marker labels
come from SDKs (release names) and users (flag keys, reasons), so they are HTML-escaped: Plotly
renders a subset of HTML in annotation text and hover templates.
"""

from __future__ import annotations

import datetime as dt
import html
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
            "margin": {"l": 40, "r": 10, "t": 28, "b": 36},
            "height": 260,
            "bargap": 0.1,
            "showlegend": False,
            "xaxis": {"type": "date", "range": [_iso(start), _iso(end)]},
            "yaxis": {"rangemode": "tozero", "fixedrange": True},
            "shapes": [_line(group[-1]) for group in clusters],
            "annotations": [_label(group, i, (group[-1].at.timestamp() - start) / (end - start)) for i, group in enumerate(clusters)],
            "plot_bgcolor": "#fff",
            "paper_bgcolor": "#fff",
        },
    }


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


def _label(group: list[Marker], index: int, position: float) -> dict:
    """A label beside its line: on the left of lines in the right quarter, so it stays on the chart."""
    latest = group[-1]
    text = latest.label + (f" +{len(group) - 1}" if len(group) > 1 else "")
    return {
        "x": _iso(latest.at.timestamp()), "xref": "x", "yref": "paper", "y": 1.0 - 0.11 * (index % 4),
        "text": html.escape(text), "hovertext": "<br>".join(html.escape(m.detail or m.label) for m in group),
        "showarrow": False, "xanchor": "right" if position > 0.75 else "left", "yanchor": "top",
        "font": {"size": 10, "color": MARKER_COLORS.get(latest.kind, "#555")},
        "bgcolor": "rgba(255,255,255,0.85)",
    }


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
