"""The report's sections, each built from the tables it needs; a section whose tables
are absent (or lack the contract's columns) is left out, never drawn half-broken."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from evalhouse.evaluation.gate_record import current_verdicts
from evalhouse.evaluation.tables import EvaluationTables, Table
from evalhouse.publish.report import figures
from evalhouse.publish.report.comparison import comparisons
from evalhouse.publish.report.context import PREFERRED_KEY_METRICS, Chart, Context, Section, build_context
from evalhouse.publish.report.html import esc, long_table, table_html
from evalhouse.targets.duckdb.journal import current_build

# beyond-accuracy metrics by family (docs/metrics.md names); the first match wins
METRIC_FAMILIES = (
    ("coverage", "Coverage", re.compile(r"coverage")),
    ("diversity", "Diversity", re.compile(r"divers|gini|personali[sz]ation|^ild|calibration")),
    ("popularity", "Popularity bias", re.compile(r"popular|novelty|seen_rate|^arp|long_tail")),
)


def _whole(table: Table, caption: str = "", limit: int = 200) -> str:
    return long_table(caption or f"All of {table.name}", table.columns, table.rows, caption=caption, limit=limit,
                      table_id=f"table-{table.name}")


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
                   f"the baseline is {ctx.baseline}.{rest}", "Read the top row first: it is the candidate with the "
                   f"highest {ctx.key_label}; compare it with the baseline's row before reading the details below.",
                   html=[shown])


def accuracy(ctx: Context) -> Section | None:
    section = Section("accuracy", "Ranking accuracy over K",
                      "Recall@K for every K up to the longest list, and every @K metric (pick one in the menu).",
                      "Higher lines are better for ranking metrics; lines that cross mean the better candidate "
                      "depends on how many items you show. The dashed line is the baseline.",
                      _caveats(ctx))
    curve = ctx.tables.read("recall_curve")
    rows = curve.dicts() if curve is not None and curve.has_columns("candidate", "k", "recall") else [
        {**r, "recall": r["value"]} for r in ctx.metrics if r["metric"] == "recall"]
    if rows:
        section.charts.append(Chart("recall_curve", figures.curve_by_k(rows, "recall", ctx.style, "Recall@K",
                                                                       "recall")))
    by_k = figures.metrics_by_k(ctx.metrics, ctx.style, ctx.key_metric[0], ctx.ranges()) if ctx.metrics else None
    if by_k is not None:
        section.charts.append(Chart("metrics_by_k", by_k))
    return section if section.charts else None


def classification(ctx: Context) -> Section | None:
    section = Section("classification", "ROC and precision-recall",
                      "Scored recommendations framed as a binary decision: is the recommended item relevant?",
                      "A curve further up and to the left (ROC) or up and to the right (precision-recall) separates "
                      "relevant from irrelevant items better; the dotted diagonal is chance (AUC 0.5).",
                      _caveats(ctx))
    roc = ctx.tables.read("roc_curve")
    if roc is not None and roc.has_columns("candidate", "fpr", "tpr") and roc.rows:
        section.charts.append(Chart("roc_curve", figures.roc_curves(roc.dicts(), ctx.style)))
    pr = ctx.tables.read("pr_curve")
    if pr is not None and pr.has_columns("candidate", "recall", "precision") and pr.rows:
        section.charts.append(Chart("pr_curve", figures.pr_curves(pr.dicts(), ctx.style)))
    return section if section.charts else None


def _caveats(ctx: Context) -> list[str]:
    caveat = ctx.cold_start_caveat()
    return [caveat] if caveat else []


def metric_family(key: str, title: str, pattern: re.Pattern[str]) -> Callable[[Context], Section | None]:
    claimed = [p for k, _, p in METRIC_FAMILIES[: [f[0] for f in METRIC_FAMILIES].index(key)]]

    def build(ctx: Context) -> Section | None:
        names = sorted({str(r["metric"]) for r in ctx.metrics
                        if pattern.search(str(r["metric"])) and not any(p.search(str(r["metric"])) for p in claimed)})
        if not names:
            return None
        chart = figures.metric_panels([r for r in ctx.metrics if r["metric"] in names], names, ctx.style, title,
                                      ctx.ranges())
        better = [f"{m} ({'higher' if ctx.direction(m) == 'higher' else 'lower'} is better)" for m in names
                  if ctx.direction(m) in ("higher", "lower")]
        return Section(key, title, f"{', '.join(names)} for each candidate.",
                       "One panel per metric, its y-axis the metric's whole range where it has one, so small "
                       f"differences look small: {'; '.join(better) or 'no metric here has a better direction'}.",
                       charts=[Chart(key, chart)])

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
    table_rows = [tuple(r[c] for c in columns) for r in listed]
    return Section("slices", "Slices", f"{label} within each user segment.",
                   "Bars of one colour are one candidate; a candidate that wins overall but loses in a segment "
                   "(often the 'cold' users without history) is worse for those users. The numbers are below.",
                   html=[long_table(f"The {label} of every slice value", columns, table_rows, table_id="table-slices")],
                   charts=[Chart("slices", figures.slice_bars(chosen, ctx.style, label, ctx.ranges().get(str(metric))))])


def ab_testing(ctx: Context) -> Section | None:
    section = Section("ab", "A/B test", "Online results per variant and the tests between them.",
                      "A lift matters when its p-value is small (below 0.05) and the sample-ratio check passes.")
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
    return Section("gate", "Release gate", "The checks a candidate must pass before it ships.",
                   "PASS means every check of the candidate held on this build; the rows say which check failed.",
                   html=html)


def stability(ctx: Context) -> Section | None:
    table = ctx.tables.read("stability")
    if table is None:
        return None
    return Section("stability", "Stability", "How much the lists changed against another run.",
                   "Overlaps near 1 mean the candidate recommends nearly the same lists each run.",
                   html=[_whole(table)])


def history(ctx: Context) -> Section | None:
    table = ctx.tables.read("metrics_history")
    if table is None or not table.has_columns("build_id", "built_at", "candidate", "metric", "k", "value"):
        return None
    rows, other_builds = like_the_latest(table.dicts())
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
    left_out = (f" {other_builds} earlier build{'s' if other_builds != 1 else ''} with another configuration "
                "(other vars, baselines or input files: metrics_history.config_fingerprint) are left out, so "
                "the line compares like with like." if other_builds else "")
    return Section("trend", "Trend over builds",
                   f"{builds} build{'s' if builds != 1 else ''} in metrics_history.{left_out}",
                   "Each point is one build of the latest configuration; a step is a change in the models or "
                   "the candidates.",
                   charts=[Chart("trend", figures.trend(rows, keys, ctx.style, ctx.ranges()))])


def build_sections(tables: EvaluationTables, vars: dict[str, Any], baseline: str,
                   board: Any = None) -> list[Section]:
    ctx = build_context(tables, vars, baseline, board)
    return [s for s in (build(ctx) for build in SECTION_BUILDERS) if s is not None]


def like_the_latest(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """The history rows of the builds that share the latest build's configuration
    fingerprint, and how many builds were left out for another one (a history written
    before the fingerprint existed has none: every row is kept)."""
    if not rows or "config_fingerprint" not in rows[0]:
        return rows, 0
    latest = max(rows, key=lambda r: (str(r["built_at"]), str(r["build_id"])))["config_fingerprint"]
    kept = [r for r in rows if r["config_fingerprint"] == latest]
    return kept, len({r["build_id"] for r in rows}) - len({r["build_id"] for r in kept})


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


__all__ = ["Chart", "Section", "build_sections", "esc"]
