"""Plotly figures from table rows (lists of dicts). One function per chart; no I/O.

Every candidate keeps one colour across all charts; the baseline is drawn dashed.
Curves with thousands of points are thinned to MAX_POINTS per candidate.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
           "#bcbd22", "#7f7f7f")
MAX_POINTS = 800
HEIGHT = 380


class Style:
    """Colours and dashes by candidate, shared by every figure of one report."""

    def __init__(self, candidates: Iterable[str], baseline: str | None) -> None:
        self.baseline = baseline
        self.colours = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(sorted(set(candidates)))}

    def line(self, candidate: str) -> dict[str, Any]:
        return {"color": self.colour(candidate), "dash": "dash" if candidate == self.baseline else "solid"}

    def colour(self, candidate: str) -> str:
        if candidate not in self.colours:
            self.colours[candidate] = PALETTE[len(self.colours) % len(PALETTE)]
        return self.colours[candidate]


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _by_candidate(rows: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[str(row["candidate"])].append(row)
    return dict(sorted(grouped.items()))


def thin(points: Sequence[Any], limit: int = MAX_POINTS) -> list[Any]:
    """At most `limit` points, evenly spaced, first and last kept."""
    if len(points) <= limit:
        return list(points)
    step = (len(points) - 1) / (limit - 1)
    return [points[round(i * step)] for i in range(limit)]


def _cells(count: int, columns: int) -> list[list[dict | None]]:
    """make_subplots specs with no axes for the unused cells of the last row (an empty
    panel would show a bare, untitled axis)."""
    rows = math.ceil(count / columns)
    return [[{} if r * columns + c < count else None for c in range(columns)] for r in range(rows)]


def _layout(fig: go.Figure, title: str, x_title: str = "", y_title: str = "", height: int = HEIGHT) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01}, height=height, margin={"l": 60, "r": 20, "t": 50, "b": 50},
        template="plotly_white", legend={"title": {"text": "candidate"}},
        font={"family": "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"},
    )
    if x_title:
        fig.update_xaxes(title_text=x_title)
    if y_title:
        fig.update_yaxes(title_text=y_title)
    return fig


def curve_by_k(rows: list[dict[str, Any]], value: str, style: Style, title: str, y_title: str) -> go.Figure:
    """One line per candidate of `value` over k (the recall@K curve)."""
    fig = go.Figure()
    for candidate, items in _by_candidate(rows).items():
        points = sorted((r["k"], _number(r[value])) for r in items if r["k"] is not None)
        fig.add_trace(go.Scatter(x=[p[0] for p in points], y=[p[1] for p in points], mode="lines+markers"
                                 if len(points) <= 30 else "lines", name=candidate, line=style.line(candidate)))
    return _layout(fig, title, "K", y_title)


def metrics_by_k(rows: list[dict[str, Any]], style: Style, first: str | None,
                 ranges: dict[str, tuple[float | None, float | None]] | None = None) -> go.Figure | None:
    """Every @K metric over K, one candidate a line; a menu picks the metric."""
    at_k = [r for r in rows if r["k"] is not None]
    metrics = sorted({str(r["metric"]) for r in at_k})
    if not metrics:
        return None
    first = first if first in metrics else metrics[0]
    fig = go.Figure()
    owners: list[str] = []
    for metric in metrics:
        for candidate, items in _by_candidate(r for r in at_k if r["metric"] == metric).items():
            points = sorted((r["k"], _number(r["value"])) for r in items)
            fig.add_trace(go.Scatter(x=[p[0] for p in points], y=[p[1] for p in points], mode="lines+markers",
                                     name=candidate, line=style.line(candidate), visible=metric == first,
                                     legendgroup=candidate))
            owners.append(metric)
    def y_range(metric: str) -> list[float] | None:
        values = [v for v in (_number(r["value"]) for r in at_k if r["metric"] == metric) if v is not None]
        return value_range(values, (ranges or {}).get(metric))

    buttons = [{"label": metric, "method": "update",
                "args": [{"visible": [owner == metric for owner in owners]},
                         {"yaxis.title.text": metric, "yaxis.range": y_range(metric),
                          "yaxis.autorange": y_range(metric) is None}]}
               for metric in metrics]
    fig.update_layout(updatemenus=[{"buttons": buttons, "active": metrics.index(first), "x": 0.16, "xanchor": "left",
                                    "y": 1.2, "yanchor": "top", "direction": "down"}])
    ks = sorted({r["k"] for r in at_k})
    wide = ks[-1] / max(1, ks[0]) >= 20
    fig.update_xaxes(type="log" if wide else "linear", tickvals=ks if wide else None)
    fig.update_yaxes(range=y_range(first))
    return _layout(fig, "Metrics by K", "K", first)


def roc_curves(rows: list[dict[str, Any]], style: Style) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="chance", line={"color": "#bbb", "dash": "dot"},
                             hoverinfo="skip"))
    for candidate, items in _by_candidate(rows).items():
        points = sorted((_number(r["fpr"]) or 0.0, _number(r["tpr"]) or 0.0) for r in items)
        auc = sum((x1 - x0) * (y0 + y1) / 2 for (x0, y0), (x1, y1) in pairwise(points))
        points = thin(points)
        fig.add_trace(go.Scatter(x=[p[0] for p in points], y=[p[1] for p in points], mode="lines",
                                 name=f"{candidate} (AUC {auc:.3f})", line=style.line(candidate)))
    fig.update_xaxes(range=[0, 1])
    fig.update_yaxes(range=[0, 1.02])
    return _layout(fig, "ROC curve", "false positive rate", "true positive rate")


def pr_curves(rows: list[dict[str, Any]], style: Style) -> go.Figure:
    fig = go.Figure()
    for candidate, items in _by_candidate(rows).items():
        points = thin(sorted((_number(r["recall"]) or 0.0, _number(r["precision"]) or 0.0) for r in items))
        fig.add_trace(go.Scatter(x=[p[0] for p in points], y=[p[1] for p in points], mode="lines",
                                 name=candidate, line={**style.line(candidate), "shape": "hv"}))
    fig.update_xaxes(range=[0, 1])
    fig.update_yaxes(range=[0, 1.02])
    return _layout(fig, "Precision-recall curve", "recall", "precision")


def metric_panels(rows: list[dict[str, Any]], metrics: list[str], style: Style, title: str,
                  ranges: dict[str, tuple[float | None, float | None]] | None = None) -> go.Figure:
    """One panel per metric: lines over K, or bars for a metric without K. Every panel has
    its axis titles, and its y-axis spans the metric's range where metric_definitions knows it."""
    columns = min(3, len(metrics))
    panel_rows = math.ceil(len(metrics) / columns)
    fig = make_subplots(rows=panel_rows, cols=columns, subplot_titles=metrics, horizontal_spacing=0.08,
                        vertical_spacing=0.22 if panel_rows > 1 else 0.1, specs=_cells(len(metrics), columns))
    shown: set[str] = set()
    for i, metric in enumerate(metrics):
        row, col = i // columns + 1, i % columns + 1
        values: list[float] = []
        over_k = False
        for candidate, items in _by_candidate(r for r in rows if r["metric"] == metric).items():
            legend = {"name": candidate, "legendgroup": candidate, "showlegend": candidate not in shown}
            shown.add(candidate)
            with_k = sorted((r["k"], _number(r["value"])) for r in items if r["k"] is not None)
            if with_k:
                over_k = True
                trace = go.Scatter(x=[p[0] for p in with_k], y=[p[1] for p in with_k], mode="lines+markers",
                                   line=style.line(candidate), **legend)
                values += [p[1] for p in with_k if p[1] is not None]
            else:
                value = _number(items[0]["value"])
                trace = go.Bar(x=[candidate], y=[value], marker_color=style.colour(candidate), **legend)
                values += [] if value is None else [value]
            fig.add_trace(trace, row=row, col=col)
        fig.update_xaxes(title_text="K" if over_k else "candidate", row=row, col=col)
        fig.update_yaxes(title_text=metric, range=value_range(values, (ranges or {}).get(metric)), row=row, col=col)
    return _layout(fig, title, height=max(HEIGHT, 320 * panel_rows + 80))


def value_range(values: list[float], known: tuple[float | None, float | None] | None) -> list[float] | None:
    """The y-axis range: the metric's own bounds where metric_definitions knows them (an
    open end follows the data, with a little room), else None (plotly's autorange). A
    bound the data passes widens to the data, so nothing is drawn off the axis."""
    low, high = known or (None, None)
    if not values or (low is None and high is None):
        return None
    lo, hi = min(values), max(values)
    pad = 0.08 * (hi - lo) if hi > lo else 0.08 * abs(hi) or 1.0
    return [lo - pad if low is None else min(low, lo), hi + pad if high is None else max(high, hi)]


def slice_bars(rows: list[dict[str, Any]], style: Style, metric_label: str,
               known: tuple[float | None, float | None] | None = None) -> go.Figure:
    """One panel per slice: the metric for each slice value, bars grouped by candidate."""
    slices = sorted({str(r["slice"]) for r in rows})
    columns = min(2, len(slices))
    panel_rows = math.ceil(len(slices) / columns)
    fig = make_subplots(rows=panel_rows, cols=columns, subplot_titles=slices, vertical_spacing=0.24,
                        specs=_cells(len(slices), columns))
    shown: set[str] = set()
    for i, slice_name in enumerate(slices):
        for candidate, items in _by_candidate(r for r in rows if str(r["slice"]) == slice_name).items():
            items = sorted(items, key=lambda r: str(r["slice_value"]))
            fig.add_trace(go.Bar(x=[str(r["slice_value"]) for r in items], y=[_number(r["value"]) for r in items],
                                 name=candidate, legendgroup=candidate, showlegend=candidate not in shown,
                                 marker_color=style.colour(candidate)),
                          row=i // columns + 1, col=i % columns + 1)
            shown.add(candidate)
    fig.update_layout(barmode="group")
    fig.update_xaxes(title_text="slice value")
    fig.update_yaxes(title_text=metric_label,
                     range=value_range([v for v in (_number(r["value"]) for r in rows) if v is not None], known))
    return _layout(fig, f"{metric_label} by slice", height=max(HEIGHT, 320 * panel_rows + 60))


DIRECTION_COLOURS = {"better": "#1e8a3c", "worse": "#c62828", "neutral": "#8a8f99"}
DIRECTION_NAMES = {"better": "in the better direction", "worse": "in the worse direction",
                   "neutral": "no better direction (or no change)"}


def delta_side(delta: float, direction: str | None) -> str:
    """'better', 'worse' or 'neutral': which way a delta moved, by the metric's direction."""
    if delta == 0 or direction not in ("higher", "lower"):
        return "neutral"
    return "better" if (delta > 0) == (direction == "higher") else "worse"


def relative_deltas(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each comparison as a share of the baseline's value (delta / |baseline_value|, its
    interval scaled the same), so metrics of any scale share one axis; a row whose baseline
    value is missing, zero or near it (under 1% of the candidate's: the popular baseline's
    serendipity) has no telling relative delta and is left out (the table has it)."""
    out = []
    for r in rows:
        base, delta = _number(r.get("baseline_value")), _number(r.get("delta"))
        value = _number(r.get("value")) or 0.0
        if base is None or delta is None or base == 0 or abs(base) < 0.01 * abs(value):
            continue
        low, high = _number(r.get("ci_low")), _number(r.get("ci_high"))
        label = r["metric"] if r.get("k") is None else f"{r['metric']}@{r['k']}"
        out.append({"label": f"{label} · {r['candidate']}", "rel": delta / abs(base),
                    "low": None if low is None else low / abs(base), "high": None if high is None else high / abs(base),
                    "side": delta_side(delta, r.get("direction") or "higher")})
    return out


REL_EDGE = 2.0  # the forest's axis ends at +-200%


def comparison_forest(rows: list[dict[str, Any]], label: str) -> go.Figure:
    """Relative delta to the baseline with its 95% interval, one row per metric and
    candidate, coloured by whether the metric moved in its better direction."""
    points = sorted(relative_deltas(rows), key=lambda p: p["label"], reverse=True)  # top-down alphabetical
    fig = go.Figure()
    for side in ("better", "worse", "neutral"):
        chosen = [p for p in points if p["side"] == side]
        if not chosen:
            continue
        error = None
        if all(p["low"] is not None and p["high"] is not None for p in chosen):
            error = {"type": "data", "symmetric": False, "array": [p["high"] - p["rel"] for p in chosen],
                     "arrayminus": [p["rel"] - p["low"] for p in chosen], "color": DIRECTION_COLOURS[side]}
        # a delta beyond +-200% (a baseline near zero) would squash every other row: it is
        # drawn at the edge as an arrow, its true value in the hover text
        xs = [max(-REL_EDGE, min(REL_EDGE, p["rel"])) for p in chosen]
        symbols = ["circle" if abs(p["rel"]) <= REL_EDGE else ("triangle-right" if p["rel"] > 0 else "triangle-left")
                   for p in chosen]
        if any(abs(p["rel"]) > REL_EDGE for p in chosen):
            error = None  # an interval around a clipped point would lie
        fig.add_trace(go.Scatter(x=xs, y=[p["label"] for p in chosen], mode="markers", customdata=[p["rel"] for p in chosen],
                                 name=DIRECTION_NAMES[side],
                                 marker={"color": DIRECTION_COLOURS[side], "size": 9, "symbol": symbols},
                                 error_x=error, hovertemplate="%{y}: %{customdata:+.1%}<extra></extra>"))
    fig.add_vline(x=0, line={"color": "#888", "dash": "dot"})
    fig.update_xaxes(tickformat="+.0%", zeroline=False)
    fig.update_yaxes(categoryorder="array", categoryarray=[p["label"] for p in points])
    _layout(fig, f"Relative delta to the baseline with 95% interval ({label})",
            "delta / baseline value", "metric · candidate", height=max(HEIGHT, 20 * len(points) + 140))
    return fig.update_layout(legend={"title": {"text": "the delta is"}}, margin={"l": 200})


def trend(rows: list[dict[str, Any]], keys: list[tuple[str, Any]], style: Style,
          ranges: dict[str, tuple[float | None, float | None]] | None = None) -> go.Figure:
    """Key metrics over past builds, one panel per metric@K."""
    labels = [metric if k is None else f"{metric}@{k}" for metric, k in keys]
    columns = min(2, len(keys))
    panel_rows = math.ceil(len(keys) / columns)
    fig = make_subplots(rows=panel_rows, cols=columns, subplot_titles=labels, vertical_spacing=0.24,
                        specs=_cells(len(keys), columns))
    shown: set[str] = set()
    for i, (metric, k) in enumerate(keys):
        chosen = [r for r in rows if r["metric"] == metric and r["k"] == k]
        for candidate, items in _by_candidate(chosen).items():
            items = sorted(items, key=lambda r: str(r["built_at"]))
            fig.add_trace(go.Scatter(x=[str(r["built_at"]) for r in items], y=[_number(r["value"]) for r in items],
                                     mode="lines+markers", name=candidate, legendgroup=candidate,
                                     showlegend=candidate not in shown, line=style.line(candidate)),
                          row=i // columns + 1, col=i % columns + 1)
            shown.add(candidate)
        values = [v for v in (_number(r["value"]) for r in chosen) if v is not None]
        fig.update_yaxes(title_text=labels[i], range=value_range(values, (ranges or {}).get(metric)),
                         row=i // columns + 1, col=i % columns + 1)
    fig.update_xaxes(title_text="build time")
    return _layout(fig, "Key metrics over builds", height=max(HEIGHT, 320 * panel_rows + 80))


def grouped_bars(rows: list[dict[str, Any]], category: str, values: list[str], title: str) -> go.Figure:
    """Bars of numeric columns per category (A/B variants)."""
    fig = go.Figure()
    for i, column in enumerate(values):
        fig.add_trace(go.Bar(x=[str(r[category]) for r in rows], y=[_number(r[column]) for r in rows], name=column,
                             marker_color=PALETTE[i % len(PALETTE)]))
    fig.update_layout(barmode="group")
    return _layout(fig, title, category, "rate").update_layout(legend={"title": {"text": ""}})
