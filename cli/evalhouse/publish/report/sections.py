"""The report's sections, each built from the tables it needs; a section whose tables
are absent (or lack the contract's columns) is left out, never drawn half-broken."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from evalhouse.evaluation.gate_record import current_verdicts
from evalhouse.evaluation.tables import EvaluationTables, Table
from evalhouse.publish.report import figures
from evalhouse.publish.report.html import esc, table_html
from evalhouse.targets.duckdb.journal import current_build

# beyond-accuracy metrics by family (docs/metrics.md names); the first match wins
METRIC_FAMILIES = (
    ("coverage", "Coverage", re.compile(r"coverage")),
    ("diversity", "Diversity", re.compile(r"divers|gini|personali[sz]ation|^ild|calibration")),
    ("popularity", "Popularity bias", re.compile(r"popular|novelty|seen_rate|^arp|long_tail")),
)
PREFERRED_KEY_METRICS = ("ndcg", "recall", "precision", "map", "mrr", "hit_rate")


@dataclass
class Chart:
    id: str
    figure: Any


@dataclass
class Section:
    key: str
    title: str
    intro: str = ""
    html: list[str] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)


@dataclass
class Context:
    tables: EvaluationTables
    style: figures.Style
    baseline: str
    key_metric: tuple[str, Any]  # (metric, k) that ranks the leaderboard
    metrics: list[dict[str, Any]]  # rows of `metrics`, [] when absent
    board_metrics: list[str] | None = None  # project.yml leaderboard.metrics
    board_max_columns: int = 10

    @property
    def key_label(self) -> str:
        metric, k = self.key_metric
        return metric if k is None else f"{metric}@{k}"


def _whole(table: Table, caption: str = "", limit: int = 200) -> str:
    return table_html(table.columns, table.rows, caption=caption, limit=limit, table_id=f"table-{table.name}")


def leaderboard(ctx: Context) -> Section | None:
    from evalhouse.evaluation.leaderboard import choose_columns, project_rows

    table = ctx.tables.read("leaderboard")
    if table is None:
        return None
    definitions = ctx.tables.read("metric_definitions")
    choice = choose_columns(table.columns, definitions.dicts() if definitions is not None else [], ctx.key_metric,
                            ctx.board_metrics, ctx.board_max_columns)
    shown = table_html(choice.columns, project_rows(table.columns, table.rows, choice.columns),
                       table_id="table-leaderboard")
    rest = (f" {choice.left_out} more metric@K columns are in the table: "
            "evalhouse query \"select * from leaderboard\"." if choice.left_out else "")
    return Section("leaderboard", "Leaderboard", f"One row per candidate, best first by {ctx.key_label}; "
                   f"the baseline is {ctx.baseline}.{rest}", [shown])


def accuracy(ctx: Context) -> Section | None:
    section = Section("accuracy", "Ranking accuracy over K",
                      "Recall@K for every K up to the longest list, and every @K metric (pick one in the menu).")
    curve = ctx.tables.read("recall_curve")
    rows = curve.dicts() if curve is not None and curve.has_columns("candidate", "k", "recall") else [
        {**r, "recall": r["value"]} for r in ctx.metrics if r["metric"] == "recall"]
    if rows:
        section.charts.append(Chart("recall_curve", figures.curve_by_k(rows, "recall", ctx.style, "Recall@K",
                                                                       "recall")))
    by_k = figures.metrics_by_k(ctx.metrics, ctx.style, ctx.key_metric[0]) if ctx.metrics else None
    if by_k is not None:
        section.charts.append(Chart("metrics_by_k", by_k))
    return section if section.charts else None


def classification(ctx: Context) -> Section | None:
    section = Section("classification", "ROC and precision-recall",
                      "Scored recommendations framed as a binary decision: is the recommended item relevant?")
    roc = ctx.tables.read("roc_curve")
    if roc is not None and roc.has_columns("candidate", "fpr", "tpr") and roc.rows:
        section.charts.append(Chart("roc_curve", figures.roc_curves(roc.dicts(), ctx.style)))
    pr = ctx.tables.read("pr_curve")
    if pr is not None and pr.has_columns("candidate", "recall", "precision") and pr.rows:
        section.charts.append(Chart("pr_curve", figures.pr_curves(pr.dicts(), ctx.style)))
    return section if section.charts else None


def metric_family(key: str, title: str, pattern: re.Pattern[str]) -> Callable[[Context], Section | None]:
    claimed = [p for k, _, p in METRIC_FAMILIES[: [f[0] for f in METRIC_FAMILIES].index(key)]]

    def build(ctx: Context) -> Section | None:
        names = sorted({str(r["metric"]) for r in ctx.metrics
                        if pattern.search(str(r["metric"])) and not any(p.search(str(r["metric"])) for p in claimed)})
        if not names:
            return None
        chart = figures.metric_panels([r for r in ctx.metrics if r["metric"] in names], names, ctx.style, title)
        return Section(key, title, f"{', '.join(names)} for each candidate.", charts=[Chart(key, chart)])

    return build


def slices(ctx: Context) -> Section | None:
    table = ctx.tables.read("metrics_by_slice")
    if table is None or not table.has_columns("candidate", "slice", "slice_value", "metric", "k", "value"):
        return None
    rows = table.dicts()
    metric, k = ctx.key_metric
    chosen = [r for r in rows if r["metric"] == metric and r["k"] == k]
    label = ctx.key_label
    if not chosen and rows:
        metric, k = rows[0]["metric"], rows[0]["k"]
        chosen = [r for r in rows if r["metric"] == metric and r["k"] == k]
        label = metric if k is None else f"{metric}@{k}"
    if not chosen:
        return None
    columns = [c for c in ("candidate", "slice", "slice_value", "value", "n_users") if c in table.columns]
    listed = sorted(chosen, key=lambda r: (str(r["slice"]), str(r["slice_value"]), str(r["candidate"])))
    return Section("slices", "Slices", f"{label} within each user segment.",
                   [table_html(columns, [tuple(r[c] for c in columns) for r in listed], table_id="table-slices")],
                   [Chart("slices", figures.slice_bars(chosen, ctx.style, label))])


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


def comparisons(ctx: Context) -> Section | None:
    table = ctx.tables.read("comparisons")
    if table is None or not table.has_columns("candidate", "baseline", "metric", "k", "delta"):
        return None
    rows = sorted(table.dicts(), key=lambda r: (str(r["candidate"]), str(r["metric"]), r["k"] or 0))
    if not rows:  # no baseline among the candidates (a project of files only): nothing compared
        return None
    columns = ["candidate", "baseline", "metric", "baseline_value", "value", "delta", "rel_delta", "95% CI",
               "p_ttest", "p_randomization", "p_adjusted", "wins / ties / losses"]
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
    section = Section("comparisons", "Comparison with the baseline",
                      "Paired per-user deltas to the baseline: mean delta, 95% bootstrap interval, paired t-test, "
                      "randomization test and Holm-adjusted p-value. Green rows are significantly better, red rows "
                      "significantly worse (adjusted p < 0.05), by each metric's direction: a lower average "
                      "popularity, Gini or calibration KL is better. Wins count the users better off.",
                      [table_html(columns, out_rows, row_classes=classes, limit=400, table_id="table-comparisons")])
    metric, k = ctx.key_metric
    at_key_k = [r for r in rows if r["k"] == k] or rows
    section.charts.append(Chart("comparisons", figures.comparison_forest(at_key_k, ctx.style,
                                                                         "K = " + str(at_key_k[0]["k"]))))
    return section


def ab_testing(ctx: Context) -> Section | None:
    section = Section("ab", "A/B test", "Online results per variant and the tests between them.")
    for name, caption in (("ab_tests", "Tests"), ("ab_results", "Results per variant")):
        table = ctx.tables.read(name)
        if table is None:
            continue
        section.html.append(_whole(table, caption))
        rates = [c for c in ("ctr", "cvr") if c in table.columns]
        if "variant" in table.columns and rates and table.rows:
            section.charts.append(Chart(name, figures.grouped_bars(table.dicts(), "variant", rates, caption)))
    return section if section.html else None


def gate(ctx: Context) -> Section | None:
    """One verdict per candidate, of the warehouse's current build only: a gate run on an
    earlier build's tables is named as stale, its verdict not shown."""
    table = ctx.tables.read("gate_results")
    if table is None:
        return None
    build_id = current_build(ctx.tables.cursor)
    verdicts = current_verdicts(table, build_id)
    badges = []
    for n, (candidate, verdict) in enumerate(sorted(verdicts.current.items())):
        label = f"{esc(candidate)} " if candidate else ""
        badges.append(f'{label}<span class="badge {verdict}" id="gate-verdict-{n}" data-candidate="{esc(candidate)}">'
                      f"{verdict.upper()}</span>")
    html = [f'<p class="verdict">Gate verdict{"s" if len(badges) > 1 else ""}: '
            + (", ".join(badges) or '<span class="badge unknown" id="gate-verdict-none">none for this build</span>')
            + "</p>"]
    if verdicts.stale:
        stale = ", ".join(f"{esc(c) or 'the gate'} (build {esc(b[:8]) or 'unknown'})"
                          for c, b in sorted(verdicts.stale.items()))
        html.append(f"<p>Not shown, from an earlier build: {stale}. Run <code>evalhouse gate CANDIDATE</code> "
                    "again to check this build.</p>")
    if verdicts.rows:
        html.append(_whole(Table(table.name, table.columns, verdicts.rows)))
    return Section("gate", "Release gate", "The checks a candidate must pass before it ships.", html)


def stability(ctx: Context) -> Section | None:
    table = ctx.tables.read("stability")
    if table is None:
        return None
    return Section("stability", "Stability", "How much the lists changed against another run.", [_whole(table)])


def history(ctx: Context) -> Section | None:
    table = ctx.tables.read("metrics_history")
    if table is None or not table.has_columns("build_id", "built_at", "candidate", "metric", "k", "value"):
        return None
    rows = table.dicts()
    available = {(r["metric"], r["k"]) for r in rows}
    keys = [ctx.key_metric] if ctx.key_metric in available else []
    k = ctx.key_metric[1]
    keys += [(m, k) for m in PREFERRED_KEY_METRICS if (m, k) in available and (m, k) not in keys]
    # then the other metrics at the same K, then the rest
    keys += sorted((key for key in available if key not in keys), key=lambda x: (x[1] != k, str(x[0]), x[1] or 0))
    keys = keys[:4]
    if not keys:
        return None
    builds = len({r["build_id"] for r in rows})
    return Section("trend", "Trend over builds", f"{builds} build{'s' if builds != 1 else ''} in metrics_history.",
                   charts=[Chart("trend", figures.trend(rows, keys, ctx.style))])


SECTION_BUILDERS: tuple[Callable[[Context], Section | None], ...] = (
    leaderboard,
    accuracy,
    classification,
    *(metric_family(key, title, pattern) for key, title, pattern in METRIC_FAMILIES),
    slices,
    comparisons,
    ab_testing,
    gate,
    stability,
    history,
)


def key_metric(vars: dict[str, Any], metrics: list[dict[str, Any]]) -> tuple[str, Any]:
    """The metric@K the leaderboard ranks by (var leaderboard_order), else ndcg@10, else the first."""
    order = vars.get("leaderboard_order")
    wanted = (str(order.get("metric")), order.get("k")) if isinstance(order, dict) else ("ndcg", 10)
    available = [(str(r["metric"]), r["k"]) for r in metrics]
    if not available or wanted in available:
        return wanted
    for metric in PREFERRED_KEY_METRICS:
        for candidate in available:
            if candidate[0] == metric:
                return candidate
    return available[0]


def build_sections(tables: EvaluationTables, vars: dict[str, Any], baseline: str,
                   board: Any = None) -> list[Section]:
    metrics_table = tables.read("metrics")
    metrics = (metrics_table.dicts() if metrics_table is not None
               and metrics_table.has_columns("candidate", "metric", "k", "value") else [])
    candidates = {str(r["candidate"]) for r in metrics}
    board = tables.read("leaderboard")
    if board is not None and "candidate" in board.columns:
        candidates |= {str(r["candidate"]) for r in board.dicts()}
    ctx = Context(tables, figures.Style(candidates, baseline), baseline, key_metric(vars, metrics), metrics,
                  getattr(board, "metrics", None), getattr(board, "max_columns", 10))
    return [s for s in (build(ctx) for build in SECTION_BUILDERS) if s is not None]


__all__ = ["Chart", "Section", "build_sections", "esc"]
