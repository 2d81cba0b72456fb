"""`evalhouse gate CANDIDATE`: each kind of check passes and fails on the numbers it is
given, the exit code follows (0 pass, 1 a failed check, one that cannot run or nothing
checked, 2 a problem with the project: an unknown candidate or baseline), gate_results
records the checks under the warehouse's current build, the report and MLflow show only
that build's verdict per candidate, and the latency percentiles equal numpy's.

A tiny project holds literal metrics, comparisons, metrics_by_slice and stability tables
(the shapes the evaluation project writes) and the repository's models/gate reading an
inference log file; the demo is checked last.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from evaluation_project import frame
from oracles.compare import is_close

from evalhouse import Project, RunOptions
from evalhouse.cli import main
from evalhouse.evaluation.gate_record import current_verdicts
from evalhouse.evaluation.tables import EvaluationTables
from evalhouse.publish.publisher import report
from evalhouse.publish.tracking import resolve_settings
from evalhouse.publish.tracking.payload import build_payload
from evalhouse.targets.duckdb.journal import Journal

REPO = Path(__file__).resolve().parents[1]

METRICS = """{{ config(materialized='table') }}
select * from (values
  ('base', 'ndcg', 10, 0.30), ('good', 'ndcg', 10, 0.34), ('bad', 'ndcg', 10, 0.22),
  ('base', 'catalog_coverage', 10, 0.02), ('good', 'catalog_coverage', 10, 0.05), ('bad', 'catalog_coverage', 10, 0.004),
  ('base', 'avg_popularity', 10, 120.0), ('good', 'avg_popularity', 10, 100.0), ('bad', 'avg_popularity', 10, 150.0)
) as t(candidate, metric, k, value)
"""
COMPARISONS = """{{ config(materialized='table') }}
select * from (values
  ('good', 'base', 'ndcg', 10, 0.30, 0.34, 0.04, 0.1333, 0.01, 0.07, 0.004, 0.006, 0.012, 40, 10, 20),
  ('bad', 'base', 'ndcg', 10, 0.30, 0.22, -0.08, -0.2667, -0.11, -0.05, 0.0001, 0.001, 0.0003, 10, 10, 50),
  ('good', 'base', 'avg_popularity', 10, 120.0, 100.0, -20.0, -0.1667, -30.0, -10.0, 0.001, 0.002, 0.003, 20, 0, 50),
  ('bad', 'base', 'avg_popularity', 10, 120.0, 150.0, 30.0, 0.25, 10.0, 50.0, 0.02, 0.03, 0.04, 50, 0, 20)
) as t(candidate, baseline, metric, k, baseline_value, value, delta, rel_delta, ci_low, ci_high, p_ttest,
       p_randomization, p_adjusted, wins, ties, losses)
"""
SLICES = """{{ config(materialized='table') }}
select * from (values
  ('base', 'activity', 'low', 'ndcg', 10, 0.20, 40), ('base', 'activity', 'high', 'ndcg', 10, 0.40, 30),
  ('base', 'activity', 'tiny', 'ndcg', 10, 0.90, 3),
  ('good', 'activity', 'low', 'ndcg', 10, 0.19, 40), ('good', 'activity', 'high', 'ndcg', 10, 0.49, 30),
  ('good', 'activity', 'tiny', 'ndcg', 10, 0.10, 3),
  ('bad', 'activity', 'low', 'ndcg', 10, 0.12, 40), ('bad', 'activity', 'high', 'ndcg', 10, 0.33, 30)
) as t(candidate, slice, slice_value, metric, k, value, n_users)
"""
STABILITY = """{{ config(materialized='table') }}
select * from (values ('base', 10, 1.0, 0.0, 70), ('good', 10, 0.8, 0.3, 70), ('bad', 10, 0.2, 0.9, 70))
  as t(candidate, k, jaccard, changed_users_share, n_users)
"""
GATE = {
    "alpha": 0.05,
    "thresholds": {"ndcg@10": {"min": 0.25}},
    "versus_baseline": [
        {"metric": "ndcg@10", "max_regression": 0.01, "require": "better"},
        {"metric": "avg_popularity@10", "max_regression": 5, "require": "not_worse", "lower_is_better": True},
    ],
    "slices": {"metrics": ["ndcg@10"], "margin": 0.02, "min_users": 10},
    "serving": {"p50_ms": 40, "p95_ms": 90, "p99_ms": 150, "cost_per_1k": 0.5},
    "guardrails": {"catalog_coverage@10": {"min": 0.01}, "changed_users_share@10": {"max": 0.5}},
    "health": {"accuracy": "ndcg@10", "coverage": "catalog_coverage@10", "stability": "jaccard@10",
               "weights": {"accuracy": 0.6, "coverage": 0.2, "stability": 0.2}},
}


def inference_log(seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for candidate, scale, cost in (("base", 20.0, 0.0001), ("good", 25.0, 0.0003), ("bad", 80.0, 0.002)):
        n = 500
        frames.append(pd.DataFrame({"candidate": candidate, "request_id": [f"{candidate}-{i}" for i in range(n)],
                                    "latency_ms": rng.gamma(2.0, scale / 2.0, n), "cost": rng.uniform(0, 2 * cost, n)}))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture
def gate_project(tmp_path: Path) -> Callable[..., Path]:
    """Write and build the tiny project; returns its folder."""

    def make(gate: dict[str, Any] | None = None, *, with_log: bool = True, leave_out: tuple[str, ...] = (),
             baseline: str = "base", models: dict[str, str] | None = None) -> Path:
        root = tmp_path / "gate_project"
        shutil.copytree(REPO / "macros", root / "macros")
        shutil.copytree(REPO / "models" / "gate", root / "models" / "gate")
        files = {"metrics": METRICS, "comparisons": COMPARISONS, "metrics_by_slice": SLICES, "stability": STABILITY,
                 **(models or {})}
        for name, sql in files.items():
            if name not in leave_out:
                (root / "models" / f"{name}.sql").write_text(sql, encoding="utf-8")
        evaluation: dict[str, Any] = {"baseline": baseline}
        if with_log:
            inference_log().to_csv(root / "inference_log.csv", index=False)
            evaluation["inference_log"] = "inference_log.csv"
        config = {"name": "tiny_gate", "evaluation": evaluation, "gate": GATE if gate is None else gate}
        (root / "project.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        result = Project.load(root).build(RunOptions(report=False, mlflow=False))
        assert result.success, [(r.name, r.message) for r in result.results if r.status != "success"]
        return root

    return make


def run_gate(root: Path, *args: str) -> Any:
    return CliRunner().invoke(main, ["gate", *args, "--project-dir", str(root)])


def checks_by_name(root: Path, candidate: str) -> dict[str, dict[str, Any]]:
    rows = frame(Project.load(root), f"select * from gate_results where candidate = '{candidate}'"
                                     f" and build_id = '{build_id(root)}'")
    return {row["check_name"]: row for row in rows.to_dict("records")}


def build_id(root: Path) -> str:
    """The warehouse's current build, as the last build's run_results.json names it."""
    return json.loads((root / "target" / "run_results.json").read_text(encoding="utf-8"))["metadata"]["invocation_id"]


def rebuild(root: Path) -> str:
    result = Project.load(root).build(RunOptions(report=False, mlflow=False))
    assert result.success
    return build_id(root)


def test_a_candidate_that_passes_every_check_exits_0(gate_project: Callable[..., Path]) -> None:
    root = gate_project()
    result = run_gate(root, "good")
    assert result.exit_code == 0, result.output
    assert "Gate PASS for good: 10 passed, 0 failed, 0 skipped; recorded in gate_results" in result.output
    assert "FAIL" not in result.output
    checks = checks_by_name(root, "good")
    assert {c["category"] for c in checks.values()} == {"threshold", "baseline", "slice", "serving", "guardrail",
                                                        "health"}
    assert checks["0.25 <= ndcg@10"]["value"] == pytest.approx(0.34)
    # the 3-user slice is left out (min_users 10): the worst slice is low, 0.19 against 0.20
    assert checks["ndcg@10 in every slice vs base"]["value"] == pytest.approx(-0.01)
    health = checks["health index (diagnostic)"]
    assert health["status"] == "info" and pd.isna(health["passed"])
    assert health["value"] == pytest.approx((0.6 * 0.34 + 0.2 * 0.05 + 0.2 * 0.8) / 1.0)
    with EvaluationTables.open(Project.load(root)) as tables:
        assert current_verdicts(tables.read("gate_results"), build_id(root)).current == {"good": "pass"}


def test_a_failing_candidate_exits_1_and_says_why(gate_project: Callable[..., Path]) -> None:
    root = gate_project()
    result = run_gate(root, "bad")
    assert result.exit_code == 1, result.output
    assert "Gate FAIL for bad: 0 passed, 10 failed, 0 skipped" in result.output
    checks = checks_by_name(root, "bad")
    failed = {name for name, row in checks.items() if row["status"] == "fail"}
    assert failed == {"0.25 <= ndcg@10", "ndcg@10 vs base", "avg_popularity@10 vs base",
                      "ndcg@10 in every slice vs base", "p50 latency <= 40 ms", "p95 latency <= 90 ms",
                      "p99 latency <= 150 ms", "cost per 1,000 requests <= 0.5", "0.01 <= catalog_coverage@10",
                      "changed_users_share@10 <= 0.5"}
    assert all(row["passed"] == False for row in checks.values() if row["status"] == "fail")  # noqa: E712
    assert "drops more than 0.01, not significantly better" in checks["ndcg@10 vs base"]["detail"]
    assert "drops more than 5, significantly worse" in checks["avg_popularity@10 vs base"]["detail"]
    assert "FAIL  threshold" in result.output and "0.22" in result.output


def test_require_better_needs_a_significant_gain(gate_project: Callable[..., Path]) -> None:
    gate = {"alpha": 0.01, "versus_baseline": [{"metric": "ndcg@10", "require": "better"}]}
    root = gate_project(gate)
    result = run_gate(root, "good")  # p_adjusted 0.012 is not below 0.01
    assert result.exit_code == 1 and "not significantly better (p_adjusted < 0.01 needed)" in result.output
    gate["versus_baseline"][0]["p_value"] = "p_ttest"  # 0.004
    shutil.rmtree(root)
    assert run_gate(gate_project(gate), "good").exit_code == 0


def test_latency_percentiles_and_cost_equal_numpy(gate_project: Callable[..., Path]) -> None:
    root = gate_project()
    costs = frame(Project.load(root), "select * from inference_costs").set_index("candidate")
    log = inference_log()
    for candidate, rows in log.groupby("candidate"):
        for q, column in ((50, "latency_p50_ms"), (95, "latency_p95_ms"), (99, "latency_p99_ms")):
            expected = np.percentile(rows["latency_ms"], q)
            assert is_close(expected, costs.loc[candidate, column]), (candidate, column)
        assert is_close(1000 * rows["cost"].mean(), costs.loc[candidate, "cost_per_1k"]), candidate
        assert costs.loc[candidate, "requests"] == len(rows)
    run_gate(root, "bad")
    checks = checks_by_name(root, "bad")
    assert checks["p95 latency <= 90 ms"]["value"] == pytest.approx(costs.loc["bad", "latency_p95_ms"])
    assert checks["p95 latency <= 90 ms"]["status"] == "fail" and checks["p95 latency <= 90 ms"]["limit_value"] == 90


def test_without_an_inference_log_latency_and_cost_are_not_applicable(gate_project: Callable[..., Path]) -> None:
    root = gate_project(with_log=False)  # when_missing is fail: not applicable is still a skip
    result = run_gate(root, "good")
    assert result.exit_code == 0, result.output
    assert "SKIP  serving" in result.output and "not applicable: no evaluation.inference_log" in result.output


@pytest.mark.parametrize("when_missing, exit_code", [("fail", 1), ("skip", 0)])
def test_stability_after_a_first_build_fails_or_skips_as_configured(gate_project: Callable[..., Path],
                                                                     when_missing: str, exit_code: int) -> None:
    root = gate_project({**GATE, "when_missing": when_missing}, leave_out=("stability",))
    result = run_gate(root, "good")
    assert result.exit_code == exit_code, result.output
    check = checks_by_name(root, "good")["changed_users_share@10 <= 0.5"]
    assert check["status"] == when_missing and check["detail"].startswith("not available: no changed_users_share@10")
    assert "a first build has none" in check["detail"]
    health = checks_by_name(root, "good")["health index (diagnostic)"]
    assert "stability (jaccard@10)" in health["detail"]
    assert health["value"] == pytest.approx((0.6 * 0.34 + 0.2 * 0.05) / 0.8)


def test_when_missing_skip_does_not_skip_a_check_that_cannot_run(gate_project: Callable[..., Path]) -> None:
    # no metrics_by_slice and no comparisons table: the slice and baseline checks are required
    root = gate_project({**GATE, "when_missing": "skip"}, leave_out=("metrics_by_slice", "comparisons"))
    result = run_gate(root, "good")
    assert result.exit_code == 1, result.output
    checks = checks_by_name(root, "good")
    assert checks["slices against base"]["detail"] == "cannot run: the warehouse has no metrics_by_slice table"
    assert checks["ndcg@10 vs base"]["detail"] == "cannot run: the warehouse has no comparisons table"
    assert checks["slices against base"]["status"] == checks["ndcg@10 vs base"]["status"] == "fail"


@pytest.mark.parametrize("key, message", [
    ("ndcg@20", "cannot run: no ndcg@20 in the metrics table: the build computed ndcg at K = 10 (var k_values)"),
    ("ndgc@10", "cannot run: no metric 'ndgc' in the metrics table: did you mean 'ndcg'?"),
    ("ndcg", "cannot run: ndcg is computed at a cut-off: write ndcg@K with K in 10"),
    ("zzz@10", "cannot run: no metric 'zzz' in the metrics table (it has avg_popularity, catalog_coverage, ndcg)"),
])
def test_a_threshold_that_cannot_run_fails_even_under_when_missing_skip(gate_project: Callable[..., Path],
                                                                        key: str, message: str) -> None:
    root = gate_project({"thresholds": {key: {"min": 0.1}, "catalog_coverage@10": {"min": 0.01}},
                         "when_missing": "skip"})
    result = run_gate(root, "good")
    assert result.exit_code == 1, result.output
    assert "Gate FAIL for good: 1 passed, 1 failed, 0 skipped" in result.output
    assert message in result.output
    assert checks_by_name(root, "good")[f"0.1 <= {key}"]["detail"] == message


def test_a_candidate_without_the_metrics_fails_instead_of_skipping(gate_project: Callable[..., Path]) -> None:
    # a rating model (as the demo's bias) has no ranking metric: the accuracy thresholds
    # cannot run, whatever when_missing says; only its stability is "not available yet"
    metrics = METRICS.replace("('base', 'ndcg', 10, 0.30),", "('base', 'ndcg', 10, 0.30), ('rating', 'rmse', null, 0.9),")
    root = gate_project({"thresholds": {"ndcg@10": {"min": 0.25}}, "when_missing": "skip",
                         "guardrails": {"changed_users_share@10": {"max": 0.5}}}, models={"metrics": metrics})
    result = run_gate(root, "rating")
    assert result.exit_code == 1, result.output
    assert "Gate FAIL for rating: 0 passed, 1 failed, 1 skipped" in result.output
    assert "cannot run: no ndcg@10 for rating in the metrics table (rating has rmse)" in result.output


def test_a_baseline_rule_that_cannot_run_fails(gate_project: Callable[..., Path]) -> None:
    gate = {"versus_baseline": [{"metric": "ndcg@20"}, {"metric": "recall@10"}], "when_missing": "skip"}
    root = gate_project(gate)
    result = run_gate(root, "good")
    assert result.exit_code == 1, result.output
    checks = checks_by_name(root, "good")
    assert checks["ndcg@20 vs base"]["detail"] == ("cannot run: no ndcg@20 in the comparisons table: "
                                                   "the build computed ndcg at K = 10 (var k_values)")
    assert checks["recall@10 vs base"]["detail"].startswith("cannot run: no metric 'recall' in the comparisons")
    empty = COMPARISONS.rstrip() + "\nwhere false\n"
    shutil.rmtree(root)
    root = gate_project({"versus_baseline": [{"metric": "ndcg@10"}]}, models={"comparisons": empty})
    result = run_gate(root, "good")
    assert result.exit_code == 1 and "cannot run: the comparisons table is empty" in result.output


def test_a_gate_that_checked_nothing_fails(gate_project: Callable[..., Path]) -> None:
    # the only check is a stability guardrail on a first build, skipped under when_missing: skip
    root = gate_project({"guardrails": {"changed_users_share@10": {"max": 0.5}}, "when_missing": "skip"},
                        leave_out=("stability",))
    result = run_gate(root, "good")
    assert result.exit_code == 1, result.output
    assert "nothing was checked: all 1 configured checks were skipped" in result.output
    assert "Gate FAIL for good: 0 passed, 1 failed, 1 skipped" in result.output
    assert checks_by_name(root, "good")["something checked"]["status"] == "fail"
    shutil.rmtree(root)
    root = gate_project({})  # no check configured at all
    result = run_gate(root, "good")
    assert result.exit_code == 1 and "the gate: block of project.yml configures no check" in result.output


def test_serving_without_an_inference_log_is_not_applicable_but_not_a_pass(gate_project: Callable[..., Path]) -> None:
    root = gate_project({"serving": {"p95_ms": 90}}, with_log=False)
    result = run_gate(root, "good")
    assert result.exit_code == 1 and "nothing was checked: all 1 configured checks were skipped" in result.output


def test_the_baseline_skips_the_checks_against_itself(gate_project: Callable[..., Path]) -> None:
    root = gate_project()
    result = run_gate(root, "base")
    assert result.exit_code == 0, result.output
    checks = checks_by_name(root, "base")
    assert checks["against base"]["status"] == checks["slices against base"]["status"] == "skip"


def test_reruns_replace_the_candidates_rows_and_no_write_writes_nothing(gate_project: Callable[..., Path]) -> None:
    root = gate_project()
    for candidate in ("good", "bad", "good"):
        run_gate(root, candidate)
    counts = frame(Project.load(root), "select candidate, count(*) as n from gate_results group by all")
    assert dict(zip(counts["candidate"], counts["n"], strict=True)) == {"good": 11, "bad": 11}
    before = frame(Project.load(root), "select * from gate_results order by candidate, check_name")
    assert run_gate(root, "base", "--no-write").exit_code == 0
    after = frame(Project.load(root), "select * from gate_results order by candidate, check_name")
    pd.testing.assert_frame_equal(before, after)


def test_the_python_api_and_the_json_log(gate_project: Callable[..., Path]) -> None:
    root = gate_project()
    outcome = Project.load(root).gate("bad", write=False)
    assert not outcome.passed and outcome.counts()["fail"] == 10 and not outcome.written
    assert outcome.health == pytest.approx(0.6 * 0.22 + 0.2 * 0.004 + 0.2 * 0.2)
    result = run_gate(root, "good", "--log-format", "json")
    records = [json.loads(line) for line in result.output.splitlines()]
    assert [r["status"] for r in records if r.get("event") == "gate_check"].count("pass") == 10
    assert records[-1]["event"] == "gate_verdict" and records[-1]["passed"] is True


def test_an_unknown_candidate_or_an_unbuilt_warehouse_exits_2(gate_project: Callable[..., Path],
                                                             tmp_path: Path) -> None:
    root = gate_project()
    result = run_gate(root, "goood")
    assert result.exit_code == 2 and "no candidate 'goood' in the metrics table" in result.output
    assert "hint: did you mean 'good'? (the candidates are bad, base, good)" in result.output
    for empty in ("", "  "):
        result = run_gate(root, empty)
        assert result.exit_code == 2 and "the candidate name is empty" in result.output
        assert "name one: the candidates are bad, base, good" in result.output
    tables = frame(Project.load(root), "select table_name from information_schema.tables")
    assert "gate_results" not in set(tables["table_name"])  # a gate that could not start writes nothing
    (tmp_path / "empty" / "models").mkdir(parents=True)
    (tmp_path / "empty" / "project.yml").write_text("name: empty\n", encoding="utf-8")
    result = run_gate(tmp_path / "empty", "good")
    assert result.exit_code == 2 and "evalhouse build" in result.output


@pytest.mark.parametrize("vars_text, message, hint", [
    ("{baseline: nosuch}", "var baseline 'nosuch' is not a candidate of the metrics table",
     "hint: the candidates are bad, base, good"),
    ("{baseline: bsae}", "var baseline 'bsae' is not a candidate of the metrics table",
     "hint: did you mean 'base'? (the candidates are bad, base, good)"),
])
def test_an_unknown_baseline_var_exits_2(gate_project: Callable[..., Path], vars_text: str, message: str,
                                         hint: str) -> None:
    root = gate_project()
    result = run_gate(root, "good", "--vars", vars_text)
    assert result.exit_code == 2, result.output
    assert message in result.output and hint in result.output


def test_an_unknown_evaluation_baseline_exits_2_naming_its_line(gate_project: Callable[..., Path]) -> None:
    root = gate_project(baseline="popular")  # the tiny project has no candidate popular
    result = run_gate(root, "good")
    assert result.exit_code == 2, result.output
    assert "project.yml:3: evaluation.baseline 'popular' is not a candidate of the metrics table" in result.output
    # a gate with no check against the baseline does not need one
    shutil.rmtree(root)
    root = gate_project({"thresholds": {"ndcg@10": {"min": 0.2}}}, baseline="popular")
    assert run_gate(root, "good").exit_code == 2  # named by evaluation.baseline: still an error
    (root / "project.yml").write_text((root / "project.yml").read_text(encoding="utf-8")
                                      .replace("  baseline: popular\n", ""), encoding="utf-8")
    result = run_gate(root, "good")  # the default 'popular', not needed by any check
    assert result.exit_code == 0, result.output


def test_gate_results_are_keyed_by_build_and_candidate(gate_project: Callable[..., Path]) -> None:
    root = gate_project()
    first = build_id(root)
    assert run_gate(root, "good").exit_code == 0
    assert f"Gate for good (baseline: base; build {first[:8]})" in run_gate(root, "good").output
    second = rebuild(root)
    assert second != first
    assert run_gate(root, "bad").exit_code == 1
    rows = frame(Project.load(root), "select build_id, candidate, count(*) as n from gate_results group by all")
    assert {(r.build_id, r.candidate): r.n for r in rows.itertuples()} == {(first, "good"): 11, (second, "bad"): 11}
    with EvaluationTables.open(Project.load(root)) as tables:
        verdicts = current_verdicts(tables.read("gate_results"), second)
    # good passed on the first build's tables: stale now, its verdict not carried over
    assert verdicts.current == {"bad": "fail"} and verdicts.stale == {"good": first}
    assert run_gate(root, "good").exit_code == 0
    with EvaluationTables.open(Project.load(root)) as tables:
        verdicts = current_verdicts(tables.read("gate_results"), second)
    assert verdicts.current == {"bad": "fail", "good": "pass"} and verdicts.stale == {}


def test_a_failed_build_keeps_the_current_build_id(gate_project: Callable[..., Path]) -> None:
    root = gate_project()
    first = build_id(root)
    (root / "models" / "broken.sql").write_text("select * from no_such_table\n", encoding="utf-8")
    assert not Project.load(root).build(RunOptions(report=False, mlflow=False)).success
    assert build_id(root) != first  # run_results.json names the failed build ...
    run_gate(root, "good")  # ... the gate judges the tables the warehouse holds: the first build's
    rows = frame(Project.load(root), "select distinct build_id from gate_results")
    assert list(rows["build_id"]) == [first]
    (root / "models" / "broken.sql").unlink()
    Project.load(root).test(RunOptions(report=False, mlflow=False))  # a test run is no build
    assert frame(Project.load(root), "select __evalhouse_build__() as b")["b"][0] == first
    tables = frame(Project.load(root), "select table_name from information_schema.tables")["table_name"]
    assert not [name for name in tables if name.startswith("__evalhouse")]  # a macro, not a relation


def test_the_gate_refuses_the_tables_of_a_build_that_was_killed(gate_project: Callable[..., Path]) -> None:
    root = gate_project()
    with duckdb.connect(str(Project.load(root).warehouse_path)) as connection:
        Journal(connection).start()  # what a killed build leaves behind
    result = run_gate(root, "good")
    assert result.exit_code == 2 and "a build was stopped before it ended" in result.output


def test_the_report_and_mlflow_show_only_the_current_builds_verdicts(gate_project: Callable[..., Path]) -> None:
    root = gate_project()
    first = build_id(root)
    run_gate(root, "good")
    run_gate(root, "bad")
    project = Project.load(root)
    page = report(project).path.read_text(encoding="utf-8")
    assert 'data-candidate="bad">FAIL<' in page and 'data-candidate="good">PASS<' in page
    with EvaluationTables.open(project) as tables:
        payload = build_payload(project, tables, resolve_settings(project, enabled=False))
    assert payload["parent"]["tags"]["gate.verdict.good"] == "pass"
    assert payload["parent"]["tags"]["gate.verdict.bad"] == "fail" and "gate.verdict" not in payload["parent"]["tags"]
    tags = {c["name"]: c["tags"] for c in payload["candidates"]}
    assert tags["good"]["gate.verdict"] == "pass" and tags["bad"]["gate.verdict"] == "fail"
    assert "gate.verdict" not in tags["base"]  # not gated: no verdict

    rebuild(root)  # a new build: both verdicts judged the first build's tables
    run_gate(root, "good")
    page = report(project).path.read_text(encoding="utf-8")
    assert 'data-candidate="good">PASS<' in page and 'data-candidate="bad"' not in page
    assert f"Not shown, from an earlier build: bad (build {first[:8]})" in page
    with EvaluationTables.open(project) as tables:
        payload = build_payload(project, tables, resolve_settings(project, enabled=False))
    assert [k for k in payload["parent"]["tags"] if k.startswith("gate.")] == ["gate.verdict.good"]
    assert "gate.verdict" not in {c["name"]: c["tags"] for c in payload["candidates"]}["bad"]


def test_a_wrong_gate_block_names_the_key(tmp_path: Path) -> None:
    (tmp_path / "project.yml").write_text(
        "name: wrong\ngate:\n  thresholds:\n    ndcg@10: {minimum: 0.2}\n", encoding="utf-8")
    result = run_gate(tmp_path, "good")
    assert result.exit_code == 2 and "gate.thresholds.ndcg@10.minimum" in result.output
    (tmp_path / "project.yml").write_text(
        "name: wrong\ngate:\n  versus_baseline:\n    - {metric: ndcg@10, require: sometimes}\n", encoding="utf-8")
    result = run_gate(tmp_path, "good")
    assert result.exit_code == 2 and "require" in result.output


# --- the demo ---------------------------------------------------------------------------------


def test_demo_gate_passes_item_cooccurrence_and_fails_random(demo: tuple[Project, Any]) -> None:
    project, _ = demo
    result = run_gate(project.dir, "item_cooccurrence", "--no-write")
    assert result.exit_code == 0, result.output
    outcome = project.gate("item_cooccurrence", write=False)
    statuses = {check.name: check.status for check in outcome.checks}
    assert statuses["ndcg@10 vs popular"] == statuses["recall@100 vs popular"] == "pass"
    assert statuses["0.01 <= catalog_coverage@10"] == "pass"
    assert statuses["latency and cost"] == "skip"  # the demo has no inference log
    result = run_gate(project.dir, "random", "--no-write")
    assert result.exit_code == 1 and "FAIL  baseline   ndcg@10 vs popular" in result.output


@pytest.mark.parametrize("declared", [True, False])
def test_a_rule_without_lower_is_better_takes_the_metrics_direction(gate_project: Callable[..., Path],
                                                                      declared: bool) -> None:
    """avg_popularity is lower-is-better in metric_definitions: a rule that does not say so
    judges good's drop of 20 as the improvement it is, and bad's rise of 30 as a regression."""
    rule = {"metric": "avg_popularity@10", "max_regression": 5, "require": "not_worse"}
    directions = ("{{ config(materialized='table') }}\nselect * from (values ('avg_popularity', 'lower'), "
                  "('ndcg', 'higher')) as t(metric, direction)")
    root = gate_project({"versus_baseline": [rule]}, models={"metric_definitions": directions} if declared else {})
    good, bad = run_gate(root, "good"), run_gate(root, "bad")
    if declared:
        assert good.exit_code == 0, good.output
        assert bad.exit_code == 1 and "drops more than 5, significantly worse" in bad.output
    else:  # without metadata, higher is better: the verdicts turn over
        assert good.exit_code == 1 and bad.exit_code == 0, (good.output, bad.output)
