"""The A/B analysis equals its oracles to 1e-9: statsmodels' two-proportion z-test and Wald
interval, scipy's Welch t-test and chi-square; and the demo's replay follows its rules.

(a) The demo: the simulated log (a replay over the real holdout) against a pandas replay
of the same rules, and ab_results / ab_tests against the oracles. (b) Tiny projects that
read an ab_events file: random logs, zero clicks, constant session times, a broken split,
a missing variant and counts that do not nest.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from evaluation_project import frame
from oracles.compare import is_close
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from evalhouse import Project, RunOptions

REPO = Path(__file__).resolve().parents[1]
COLUMNS = ["metric", "control", "treatment", "lift", "rel_lift", "ci_low", "ci_high", "p_value", "significant", "test"]


def expected_results(events: pd.DataFrame) -> pd.DataFrame:
    grouped = events.groupby("variant")
    out = pd.DataFrame({
        "users": grouped["user_id"].nunique(), "impressions": grouped["impressions"].sum(),
        "clicks": grouped["clicks"].sum(), "conversions": grouped["conversions"].sum(),
        "mean_session_seconds": grouped["session_seconds"].mean(),
    }).reset_index()
    out["ctr"] = [c / i if i else None for c, i in zip(out["clicks"], out["impressions"], strict=True)]
    out["cvr"] = [v / c if c else None for v, c in zip(out["conversions"], out["clicks"], strict=True)]
    return out.sort_values("variant").reset_index(drop=True)


def expected_tests(events: pd.DataFrame, control: str, treatment: str, share: float = 0.5,
                   alpha: float = 0.05, srm_alpha: float = 0.001) -> dict[str, dict[str, Any]]:
    c, t = events[events["variant"] == control], events[events["variant"] == treatment]
    rows: dict[str, dict[str, Any]] = {}
    for metric, (xc, nc, xt, nt) in {
        "ctr": (c["clicks"].sum(), c["impressions"].sum(), t["clicks"].sum(), t["impressions"].sum()),
        "cvr": (c["conversions"].sum(), c["clicks"].sum(), t["conversions"].sum(), t["clicks"].sum()),
    }.items():
        if nc == 0 or nt == 0:
            rows[metric] = {"control": None if nc == 0 else xc / nc, "treatment": None if nt == 0 else xt / nt}
            continue
        pc, pt = xc / nc, xt / nt
        if (xc + xt) in (0, nc + nt):  # no variance: statsmodels divides 0 by 0; the documented p
            p_value, (low, high) = (1.0 if pc == pt else 0.0), (pt - pc, pt - pc)
        else:
            p_value = proportions_ztest([xt, xc], [nt, nc])[1]
            low, high = confint_proportions_2indep(xt, nt, xc, nc, method="wald", compare="diff")
        rows[metric] = {"control": pc, "treatment": pt, "lift": pt - pc, "rel_lift": (pt - pc) / pc if pc else None,
                        "ci_low": low, "ci_high": high, "p_value": p_value, "significant": p_value < alpha,
                        "test": "two-proportion z-test"}
    mc, mt = c["session_seconds"].mean(), t["session_seconds"].mean()
    welch = stats.ttest_ind(t["session_seconds"], c["session_seconds"], equal_var=False)
    if np.isnan(welch.pvalue):  # both variances 0
        p_value, low, high = (1.0 if mc == mt else 0.0), mt - mc, mt - mc
    else:
        p_value = welch.pvalue
        low, high = welch.confidence_interval(0.95)
    rows["session_seconds"] = {"control": mc, "treatment": mt, "lift": mt - mc, "rel_lift": (mt - mc) / mc,
                               "ci_low": low, "ci_high": high, "p_value": p_value, "significant": p_value < alpha,
                               "test": "Welch t-test"}
    users = [c["user_id"].nunique(), t["user_id"].nunique()]
    total = sum(users)
    srm = stats.chisquare(users, f_exp=[total * share, total * (1 - share)])
    lift = users[1] / total - (1 - share)
    rows["sample_ratio"] = {"control": users[0], "treatment": users[1], "lift": lift, "rel_lift": lift / (1 - share),
                            "ci_low": None, "ci_high": None, "p_value": srm.pvalue,
                            "significant": srm.pvalue < srm_alpha, "test": "sample-ratio-mismatch chi-square"}
    return rows


def assert_tests_equal(expected: dict[str, dict[str, Any]], actual: pd.DataFrame) -> None:
    assert list(actual.columns) == COLUMNS
    assert list(actual["metric"]) == ["ctr", "cvr", "session_seconds", "sample_ratio"]
    for row in actual.to_dict("records"):
        for column, want in expected[row["metric"]].items():
            got = row[column]
            if want is None:
                assert got is None or (isinstance(got, float) and math.isnan(got)), (row["metric"], column, got)
            elif isinstance(want, (str, bool, np.bool_)):
                assert got == want, (row["metric"], column, got, want)
            else:
                assert is_close(float(want), float(got)), (row["metric"], column, got, want)


def assert_results_equal(events: pd.DataFrame, actual: pd.DataFrame) -> None:
    expected = expected_results(events)
    assert list(actual.columns) == ["variant", "users", "impressions", "ctr", "cvr", "mean_session_seconds",
                                    "clicks", "conversions"]
    assert list(actual["variant"]) == list(expected["variant"])
    for column in expected.columns.drop("variant"):
        for got, want in zip(actual[column], expected[column], strict=True):
            if want is None or (isinstance(want, float) and math.isnan(want)):
                assert pd.isna(got)
            else:
                assert is_close(float(want), float(got)), (column, got, want)


# --- (a) the demo's replay --------------------------------------------------------------------


def test_demo_replay_follows_its_rules(demo: tuple[Project, Any]) -> None:
    project, _ = demo
    events = frame(project, "select * from ab_events")
    recs = frame(project, "select candidate, user_id, item_id, rank from recs where rank <= 10")
    labels = frame(project, "select user_id, item_id, relevance from labels")
    assert sorted(events["user_id"]) == sorted(labels["user_id"].unique())  # every label user, once
    assert set(events["variant"]) == {"popular", "item_cooccurrence"}
    shown = events[["user_id", "variant"]].merge(recs, left_on=["user_id", "variant"],
                                                 right_on=["user_id", "candidate"])
    clicked = shown.merge(labels, on=["user_id", "item_id"])
    expected = pd.DataFrame({
        "impressions": shown.groupby("user_id").size(),
        "clicks": clicked.groupby("user_id").size(),
        "conversions": clicked[clicked["relevance"] >= 4.0].groupby("user_id").size(),
    }).fillna(0)
    merged = events.set_index("user_id").join(expected.add_suffix("_expected")).fillna(0)
    for column in ("impressions", "clicks", "conversions"):
        assert (merged[column] == merged[f"{column}_expected"]).all(), column
    jitter = events["session_seconds"] - (20 + 45 * events["clicks"] + 30 * events["conversions"])
    assert jitter.between(0, 60).all() and jitter.nunique() > 10


def test_demo_ab_results_and_tests_equal_the_oracles(demo: tuple[Project, Any]) -> None:
    project, _ = demo
    events = frame(project, "select * from ab_events")
    assert_results_equal(events, frame(project, "select * from ab_results"))
    tests = frame(project, "select * from ab_tests")
    assert_tests_equal(expected_tests(events, "popular", "item_cooccurrence"), tests)
    assert not tests.set_index("metric").loc["sample_ratio", "significant"]  # the hash splits evenly


# --- (b) tiny projects reading an ab_events file ------------------------------------------------


def ab_project(root: Path, events: pd.DataFrame, vars: dict[str, Any] | None = None) -> Project:
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "macros", root / "macros", dirs_exist_ok=True)
    shutil.copytree(REPO / "models" / "ab", root / "models" / "ab", dirs_exist_ok=True)
    events.to_csv(root / "ab_events.csv", index=False)
    config = {"name": "tiny_ab", "evaluation": {"ab_events": "ab_events.csv"},
              "vars": {"ab_control": "A", "ab_treatment": "B", **(vars or {})}}
    (root / "project.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return Project.load(root)


def build(project: Project) -> Any:
    return project.build(RunOptions(report=False, mlflow=False))


def random_events(seed: int, users: dict[str, int], ctr: dict[str, float]) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows, user_id = [], 0
    for variant, n in users.items():
        for _ in range(n):
            user_id += 1
            impressions = int(rng.integers(0, 30))
            clicks = int(rng.binomial(impressions, ctr[variant]))
            conversions = int(rng.binomial(clicks, 0.3))
            rows.append((user_id, variant, impressions, clicks, conversions, float(rng.gamma(2.0, 60.0))))
    return pd.DataFrame(rows, columns=["user_id", "variant", "impressions", "clicks", "conversions",
                                       "session_seconds"])


def check(project: Project, events: pd.DataFrame, **settings: Any) -> pd.DataFrame:
    result = build(project)
    failed = [(r.name, r.message) for r in result.results if r.status not in ("success", "pass")]
    assert result.success and not failed, failed
    assert_results_equal(events, frame(project, "select * from ab_results"))
    tests = frame(project, "select * from ab_tests")
    assert_tests_equal(expected_tests(events, "A", "B", **settings), tests)
    return tests.set_index("metric")


def test_a_random_log_with_a_third_variant_left_out_of_the_tests(tmp_path: Path) -> None:
    events = random_events(1, {"A": 400, "B": 380, "C": 50}, {"A": 0.10, "B": 0.12, "C": 0.5})
    tests = check(ab_project(tmp_path / "p", events), events)
    assert tests.loc["ctr", "significant"] in (True, False)


def test_the_expected_split_and_levels_come_from_vars(tmp_path: Path) -> None:
    events = random_events(2, {"A": 300, "B": 700}, {"A": 0.2, "B": 0.2})
    settings = {"ab_control_share": 0.3, "ab_alpha": 0.1, "ab_srm_alpha": 0.01}
    tests = check(ab_project(tmp_path / "p", events, settings), events, share=0.3, alpha=0.1, srm_alpha=0.01)
    assert tests.loc["sample_ratio", "p_value"] > 0.01


def test_a_broken_split_is_flagged(tmp_path: Path) -> None:
    events = random_events(3, {"A": 600, "B": 400}, {"A": 0.1, "B": 0.1})
    tests = check(ab_project(tmp_path / "p", events), events)
    assert tests.loc["sample_ratio", "significant"] and tests.loc["sample_ratio", "p_value"] < 1e-9


def test_zero_clicks_give_lift_zero_p_one_and_no_conversion_rate(tmp_path: Path) -> None:
    events = random_events(4, {"A": 20, "B": 20}, {"A": 0.0, "B": 0.0})
    tests = check(ab_project(tmp_path / "p", events), events)
    assert (tests.loc["ctr", "lift"], tests.loc["ctr", "p_value"]) == (0.0, 1.0)
    assert not tests.loc["ctr", "significant"]
    assert pd.isna(tests.loc["cvr", "control"]) and pd.isna(tests.loc["cvr", "p_value"])


@pytest.mark.filterwarnings("ignore:Precision loss:RuntimeWarning")
def test_constant_session_times(tmp_path: Path) -> None:
    events = random_events(5, {"A": 15, "B": 15}, {"A": 0.3, "B": 0.3}).assign(session_seconds=90.0)
    assert check(ab_project(tmp_path / "p", events), events).loc["session_seconds", "p_value"] == 1.0
    events.loc[events["variant"] == "B", "session_seconds"] = 120.0
    tests = check(ab_project(tmp_path / "q", events), events)
    assert tests.loc["session_seconds", "p_value"] == 0.0 and tests.loc["session_seconds", "lift"] == 30.0


def test_a_missing_variant_fails_with_a_message(tmp_path: Path) -> None:
    events = random_events(6, {"A": 10, "X": 10}, {"A": 0.1, "X": 0.1})
    result = build(ab_project(tmp_path / "p", events))
    failed = {r.name: r for r in result.results if r.status == "error"}
    assert "ab_tests" in failed
    assert "no rows for variant A or B (its variants: A, X)" in failed["ab_tests"].message


@pytest.mark.parametrize("column, value", [("clicks", 99), ("conversions", 99)])
def test_counts_that_do_not_nest_fail_the_data_test(tmp_path: Path, column: str, value: int) -> None:
    events = random_events(7, {"A": 10, "B": 10}, {"A": 0.1, "B": 0.1})
    events.loc[0, column] = value
    result = build(ab_project(tmp_path / "p", events))
    statuses = {r.name: r.status for r in result.results}
    assert statuses["ab_events_counts_nest"] == "fail" and statuses["ab_tests"] == "skipped"
