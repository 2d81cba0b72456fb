"""The comparison section: the rows at the leaderboard's K first, every other K folded
away, and the relative deltas as one forest coloured by each metric's direction."""

from __future__ import annotations

from typing import Any

from evalhouse.publish.report import figures
from evalhouse.publish.report.context import Chart, Context, Section
from evalhouse.publish.report.html import long_table

COLUMNS = ["candidate", "baseline", "metric", "baseline_value", "value", "delta", "rel_delta", "95% CI",
           "p_ttest", "p_randomization", "p_adjusted", "wins / ties / losses"]


def _verdict(row: dict) -> str:
    """'better', 'worse' or '' for a comparison row: significant (adjusted p < 0.05) and in
    the direction the metric's metadata calls better (metric_definitions)."""
    p = row.get("p_adjusted", row.get("p_ttest"))
    delta = row.get("delta")
    if not (isinstance(p, float) and p < 0.05 and isinstance(delta, (int, float)) and delta != 0):
        return ""
    direction = row.get("direction") or "higher"
    if direction == "neutral":
        return ""
    return "better" if (delta > 0) == (direction == "higher") else "worse"


def _table_rows(rows: list[dict[str, Any]]) -> tuple[list[tuple[Any, ...]], list[str]]:
    out_rows, classes = [], []
    for r in rows:
        interval = (f"[{r['ci_low']:.4f}, {r['ci_high']:.4f}]"
                    if isinstance(r.get("ci_low"), float) and isinstance(r.get("ci_high"), float) else "")
        record = ("" if r.get("wins") is None else f"{r.get('wins')} / {r.get('ties')} / {r.get('losses')}")
        label = r["metric"] if r["k"] is None else f"{r['metric']}@{r['k']}"
        out_rows.append((r["candidate"], r["baseline"], label, r.get("baseline_value"), r.get("value"), r["delta"],
                         r.get("rel_delta"), interval, r.get("p_ttest"), r.get("p_randomization"),
                         r.get("p_adjusted"), record))
        classes.append(_verdict(r))
    return out_rows, classes


def comparisons(ctx: Context) -> Section | None:
    table = ctx.tables.read("comparisons")
    if table is None or not table.has_columns("candidate", "baseline", "metric", "k", "delta"):
        return None
    # an older comparisons table has no direction column: metric_definitions has it
    rows = [{**r, "direction": r.get("direction") or ctx.direction(str(r["metric"]))} for r in table.dicts()]
    rows.sort(key=lambda r: (str(r["candidate"]), str(r["metric"]), r["k"] or 0))
    if not rows:  # no baseline among the candidates (a project of files only): nothing compared
        return None
    k = ctx.key_metric[1]
    if not any(r["k"] == k for r in rows):
        k = next((r["k"] for r in rows if r["k"] is not None), None)
    key_rows = [r for r in rows if r["k"] == k or r["k"] is None]
    rest = [r for r in rows if r not in key_rows]
    shown, classes = _table_rows(key_rows)
    label = "every metric" if k is None else f"K = {k}"
    at = "every metric" if k is None else f"K = {k} (the leaderboard's K) and the metrics without K"
    html = [long_table(f"The comparisons at {label}", COLUMNS, shown, row_classes=classes, limit=400,
                       open_=True, table_id="table-comparisons")]
    if rest:
        others, other_classes = _table_rows(rest)
        html.append(long_table("Every other K", COLUMNS, others, row_classes=other_classes, limit=1000,
                               fold_over=0, table_id="table-comparisons-rest"))
    section = Section("comparisons", "Comparison with the baseline",
                      f"Paired per-user deltas to the baseline at {at}: mean delta, 95% bootstrap interval, paired "
                      "t-test, randomization test and Holm-adjusted p-value. Green rows are significantly better, "
                      "red rows significantly worse (adjusted p < 0.05), by each metric's direction: a lower average "
                      "popularity, Gini or calibration KL is better. Wins count the users better off.",
                      "In the chart each dot is a candidate's change as a share of the baseline's value (+10% = a "
                      "tenth better or worse than the baseline), green when it moved the way the metric calls "
                      "better, red the other way; a bar crossing the dotted zero line is not a clear difference.",
                      html=html)
    section.charts.append(Chart("comparisons", figures.comparison_forest(key_rows, label)))
    return section
