"""The docs cannot drift: every number they quote from the demo is rebuilt here, and every
metric of metric_definitions has its section in docs/metrics.md (and no section is a ghost).

Each quote is (docs file, text with {} fields, SQL giving one row): the fields are filled
from the row and the result must be in the page, so a change on either side fails. A
decimal of three or more digits, or a count of users, in a page that no quote covers fails
too: a new quoted number needs its SQL here (or a place in CONSTANTS when it is a setting,
not a result).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from evalhouse.evaluation.tables import EvaluationTables
from evalhouse.publish.tracking.payload import candidate_metrics, key_metrics

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("docs/evaluation.md", "README.md", "docs/tracking-and-report.md", "docs/spark.md", "docs/metrics.md")

# numbers in the pages that are settings or constants, not results of the demo, or that
# test_the_counts_of_baselines_and_nodes checks (the demo's nodes: a count, not a table)
# settings and sizes that are not demo results: the simulated users of the bucketed
# resampling test (tests/test_comparisons.py) and the benchmark's scale (bench/RESULTS.md)
CONSTANTS = {"docs/evaluation.md": {"0.001", "0.0001", "3,000", "200,000"}, "docs/metrics.md": {"0.0001"},
             "docs/spark.md": {"151"}}
# what a quoted demo result looks like: 0.123..., "116 users", "88 cold-start users", "the demo's 116"
QUOTED_NUMBER = re.compile(r"(?<![\w.])0\.\d{3,}|(?<![\w.,])\d[\d,]*(?= (?:[\w-]+ )?users\b)|(?<=the demo's )\d[\d,]*")


def metric(candidate: str, name: str, k: int | None = None) -> str:
    where_k = "k is null" if k is None else f"k = {k}"
    return f"select value from metrics where candidate = '{candidate}' and metric = '{name}' and {where_k}"


def comparison_row(candidate: str, name: str, k: int) -> str:
    return ("select baseline_value, value, delta, ci_low, ci_high, p_ttest, p_randomization, p_adjusted, "
            f"wins, ties, losses from comparisons where candidate = '{candidate}' and baseline = 'popular' "
            f"and metric = '{name}' and k = {k}")


def classification_row(candidate: str) -> str:
    values = ", ".join(f"(select value from metrics where candidate = '{candidate}' and metric = '{name}')"
                       for name in ("roc_auc", "average_precision", "pr_auc", "gauc"))
    return (f"select {values}, (select n_users from metrics where candidate = '{candidate}' "
            "and metric = 'gauc')")


def by_activity(candidate: str, name: str, k: int | None) -> str:
    where_k = "k is null" if k is None else f"k = {k}"
    values = ", ".join(f"(select value from metrics_by_slice where candidate = '{candidate}' and metric = "
                       f"'{name}' and {where_k} and slice = 'activity' and slice_value = '{value}')"
                       for value in ("cold", "q1", "q2", "q3"))
    return f"select {values}"


def ab(name: str, column: str) -> str:
    return f"select {column} from ab_tests where metric = '{name}'"


EVALUATION = "docs/evaluation.md"
USERS = "(select n_holdout_users from split_summary)"
COLD = "(select n_cold_start_users from split_summary)"
CLASSIFICATION_ROW = "| {} | {:.4f} | {:.4f} | {:.4f} | {:.4f} ({}) |"
SLICE_ROW = "| {} | {} | {:.4f} | {:.4f} | {:.4f} | {:.4f} |"

QUOTES: list[tuple[str, str, str]] = [
    (EVALUATION, "default cutoff is {:%Y-%m-%d}: {:,} train and {:,} holdout ratings; {} of the {} holdout users",
     "select cutoff, n_train_interactions, n_holdout_interactions, n_cold_start_users, n_holdout_users "
     "from split_summary"),
    (EVALUATION, "(on the demo: {:,} x {:,}", "select 1000, count(*) from comparison_pairs"),
    (EVALUATION, "On the demo ({} users, 1,000 replicates, seed 42)", f"select {USERS}"),
    (EVALUATION, "| ndcg@10 | {:.4f} | {:.4f} | {:+.4f} | [{:+.4f}, {:+.4f}] | {:.3f} | {:.3f} | {:g} | {} / {} / {} |",
     comparison_row("item_cooccurrence", "ndcg", 10)),
    (EVALUATION, "| recall@100 | {:.4f} | {:.4f} | {:+.4f} | [{:+.4f}, {:+.4f}] | {:.3f} | {:.3f} | {:g} | {} / {} / {} |",
     comparison_row("item_cooccurrence", "recall", 100)),
    (EVALUATION, "popular for the {} cold-start users, hence the {} ties",
     f"select {COLD}, ties from comparisons where candidate = 'item_cooccurrence' and baseline = 'popular' "
     "and metric = 'ndcg' and k = 10"),
    (EVALUATION, "beats popular (ndcg@10 {:+.3f}, Holm p = {:.3f})",
     "select delta, p_adjusted from comparisons where candidate = 'popular_recent' and baseline = 'popular' "
     "and metric = 'ndcg' and k = 10"),
    (EVALUATION, "On the demo replay ({} users on item_cooccurrence, {} on popular): CTR {:.3f} against {:.3f} "
     "(lift {:+.3f}, 95% CI [{:+.3f}, {:+.3f}], p = {:.3f}), CVR {:.3f} against {:.3f} (p = {:g}), "
     "session {:.0f} s against {:.0f} s (Welch p = {:.3f}), SRM p = {:.3f}.",
     "select " + ", ".join([
         "(select users from ab_results where variant = 'item_cooccurrence')",
         "(select users from ab_results where variant = 'popular')",
         f"({ab('ctr', 'treatment')})", f"({ab('ctr', 'control')})", f"({ab('ctr', 'lift')})",
         f"({ab('ctr', 'ci_low')})", f"({ab('ctr', 'ci_high')})", f"({ab('ctr', 'p_value')})",
         f"({ab('cvr', 'treatment')})", f"({ab('cvr', 'control')})", f"({ab('cvr', 'p_value')})",
         f"({ab('session_seconds', 'treatment')})", f"({ab('session_seconds', 'control')})",
         f"({ab('session_seconds', 'p_value')})", f"({ab('sample_ratio', 'p_value')})"])),
    (EVALUATION, "with about {:.0f} users an arm", "select round(avg(users), -1) from ab_results"),
    (EVALUATION, "its CTR interval is ±{:.3f} wide", f"select ({ab('ctr', 'ci_high')}) / 2 - ({ab('ctr', 'ci_low')}) / 2"),
    (EVALUATION, "ndcg@10 {:.3f} and recall@100 {:.3f} above their thresholds",
     f"select ({metric('item_cooccurrence', 'ndcg', 10)}), ({metric('item_cooccurrence', 'recall', 100)})"),
    (EVALUATION, "catalog coverage@10 {:.3f} above 0.01", f"select ({metric('item_cooccurrence', 'catalog_coverage', 10)})"),
    (EVALUATION, "fail on catalog coverage ({:.4f} and {:.4f})",
     f"select ({metric('popular', 'catalog_coverage', 10)}), ({metric('popular_recent', 'catalog_coverage', 10)})"),
    *((EVALUATION, CLASSIFICATION_ROW, f"select '{name}', * from ({classification_row(name)})")
      for name in ("popular", "popular_recent", "item_cooccurrence", "random")),
    (EVALUATION, "the {} cold-start users' lists are all popular fill at score 0, yet {:.0%} of those rows are "
     "relevant against {:.0%} of the warm users' (scored {:.0f} on average)",
     f"select {COLD}, avg(is_relevant::int) filter (where s.slice_value = 'cold'), "
     "avg(is_relevant::int) filter (where s.slice_value <> 'cold'), avg(score) filter (where s.slice_value <> 'cold') "
     "from classification_rows as c inner join user_slices as s on s.user_id = c.user_id and s.slice = 'activity' "
     "where candidate = 'item_cooccurrence'"),
    (EVALUATION, "AUC {:.2f} to {:.2f} in every slice without cold-start users, {:g} among them",
     "select min(value) filter (where slice_value not in ('cold', 'new')), "
     "max(value) filter (where slice_value not in ('cold', 'new')), max(value) filter (where slice_value = 'cold') "
     "from metrics_by_slice where candidate = 'item_cooccurrence' and metric = 'roc_auc'"),
    (EVALUATION, "bias: mae {:.4f}, rmse {:.4f}, mse {:.4f}, r2 {:.4f}, mape {:.4f} over all {:,} label pairs "
     "of the {} users (no rating is 0 in MovieLens, so mape_zero_actual_pairs is {:g})",
     "select " + ", ".join(f"({metric('bias', name)})" for name in ("mae", "rmse", "mse", "r2", "mape"))
     + ", (select n_pairs from regression_sums where candidate = 'bias'), "
     "(select n_users from regression_sums where candidate = 'bias'), "
     f"({metric('bias', 'mape_zero_actual_pairs')})"),
    (EVALUATION, "(cold-start users: {} of the demo's {}) have no value",
     "select n_holdout_users - (select n_users from metrics where candidate = 'popular' and metric = "
     "'calibration_kl' and k = 10), n_holdout_users from split_summary"),
    (EVALUATION, "ndcg@10 and roc_auc by activity ({} users in labels, {} cold-start)", f"select {USERS}, {COLD}"),
    (EVALUATION, "| candidate | metric | cold ({}) | q1 ({}) | q2 ({}) | q3 ({}) |",
     "select " + ", ".join(f"(select count(*) from user_slices where slice = 'activity' and slice_value = '{v}')"
                           for v in ("cold", "q1", "q2", "q3"))),
    *((EVALUATION, SLICE_ROW, f"select '{name}', '{label}', * from ({by_activity(name, key, k)})")
      for name, label, key, k in (("popular", "ndcg@10", "ndcg", 10), ("item_cooccurrence", "ndcg@10", "ndcg", 10),
                                  ("popular", "roc_auc", "roc_auc", None),
                                  ("item_cooccurrence", "roc_auc", "roc_auc", None),
                                  ("bias", "rmse", "rmse", None))),
]


def flat(text: str) -> str:
    """A page with its line breaks (and indents) as single spaces: quotes may wrap."""
    return re.sub(r"\s+", " ", text)


def filled(project: Any, template: str, sql: str) -> str:
    result = project.query(sql)
    assert len(result.rows) == 1, sql
    return template.format(*result.rows[0])


@pytest.mark.parametrize(("page", "template", "sql"), QUOTES, ids=[quote[1][:40] for quote in QUOTES])
def test_a_quoted_number_is_what_the_demo_builds(demo, page: str, template: str, sql: str) -> None:
    project, result = demo
    assert result.success
    quoted = filled(project, template, sql)
    text = flat((ROOT / page).read_text(encoding="utf-8"))
    assert flat(quoted) in text, f"{page} should say: {quoted}"


@pytest.mark.parametrize("page", PAGES)
def test_every_quoted_decimal_is_checked(demo, page: str) -> None:
    project, _ = demo
    text = flat((ROOT / page).read_text(encoding="utf-8"))
    covered = [(start, start + len(quote)) for quote in
               (flat(filled(project, template, sql)) for quote_page, template, sql in QUOTES if quote_page == page)
               for start in [text.find(quote)] if start >= 0]
    unchecked = [match.group() for match in re.finditer(QUOTED_NUMBER, text)
                 if match.group() not in CONSTANTS.get(page, set())
                 and not any(start <= match.start() < end for start, end in covered)]
    assert not unchecked, f"{page} quotes numbers no test checks: {unchecked}"


def test_the_mlflow_key_examples_are_keys_a_build_logs(demo) -> None:
    project, _ = demo
    text = (ROOT / "docs/tracking-and-report.md").read_text(encoding="utf-8")
    table = text[text.index("| metric key | from |"):]
    examples = re.findall(r"\(`([\w.@]+)`\)", table.split("\n\n")[0])
    assert examples, "the metric key table of docs/tracking-and-report.md has no example key"
    build_example = re.search(r"leaderboard's key columns of every candidate as `<metric>_at_<k>.<candidate>`\s+"
                              r"\(`([\w.]+)`", text).group(1)
    with EvaluationTables.open(project) as tables:
        per_candidate = candidate_metrics(tables)
        build_keys = key_metrics(project, tables, per_candidate)
    keys = set().union(*per_candidate.values())
    assert [key for key in examples if key not in keys] == []
    assert build_example in build_keys


def test_every_metric_has_its_section_in_docs_metrics_and_no_more(demo) -> None:
    project, _ = demo
    defined = [row[0] for row in project.query("select metric from metric_definitions order by position").rows]
    text = (ROOT / "docs/metrics.md").read_text(encoding="utf-8")
    sections = re.findall(r"^### `(\w+)`", text, re.M)
    assert sorted(sections) == sorted(defined)
    assert len(sections) == len(set(sections))


NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def test_the_counts_of_baselines_and_nodes(demo) -> None:
    project, result = demo
    recommenders = project.query("select count(distinct candidate) from baseline_recs").rows[0][0]
    rating = project.query("select count(distinct candidate) from bias_baseline").rows[0][0]
    evaluation = flat((ROOT / EVALUATION).read_text(encoding="utf-8"))
    words = NUMBER_WORDS[recommenders + rating], NUMBER_WORDS[recommenders]
    assert rating == 1
    assert f"builds {words[0]} baselines ({words[1]} recommenders and a rating predictor)" in evaluation
    assert f"(default: all {words[0]})" in evaluation
    assert f"The {words[1]} recommenders below" in evaluation
    spark = flat((ROOT / "docs/spark.md").read_text(encoding="utf-8"))
    assert f"the demo's {len(result.results)} nodes" in spark


def test_the_gate_verdicts_the_page_tells(demo) -> None:
    # docs/evaluation.md, "The deployment gate": after one build item_cooccurrence passes with
    # serving and stability skipped, popular and popular_recent fail on catalog coverage only,
    # random on accuracy (write=False: the session's warehouse keeps no verdict)
    project, _ = demo
    text = flat((ROOT / EVALUATION).read_text(encoding="utf-8"))
    assert "`evalhouse gate item_cooccurrence` passes (exit 0)" in text
    assert "`evalhouse gate popular` and `popular_recent` fail on catalog coverage" in text
    assert "`random` on accuracy" in text

    def failed(candidate: str) -> list[tuple[str, str]]:
        return [(check.category, check.name) for check in project.gate(candidate, write=False).checks
                if check.status == "fail"]

    passing = project.gate("item_cooccurrence", write=False)
    assert passing.passed
    assert {(check.category, "changed_users_share" in check.name) for check in passing.checks
            if check.status == "skip"} == {("serving", False), ("guardrail", True)}
    for candidate in ("popular", "popular_recent"):
        assert [(category, "catalog_coverage" in name) for category, name in failed(candidate)] == [("guardrail", True)]
    assert {category for category, _ in failed("random")} == {"threshold", "baseline", "slice"}
