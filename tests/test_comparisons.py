"""comparisons equals its oracles to 1e-9: scipy's ttest_rel, statsmodels' Holm, and a plain
Python randomization test and bootstrap that follow the documented seed logic (SplitMix64).

(a) The demo: every row of `comparisons`, paired from the per-user tables in pandas.
(b) Tiny projects (models/compare and the macros, plus one literal per-user table):
identical candidates, all ties, one user, zero variance, missing users, null values,
discrete metrics, text ids, resampling off, and the same numbers for the same seed.
"""

from __future__ import annotations

import math
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml
from evaluation_project import frame
from oracles.compare import is_close
from scipy import stats
from statsmodels.stats.multitest import multipletests

from evalhouse import Project, RunOptions
from evalhouse.errors import TemplateError

REPO = Path(__file__).resolve().parents[1]
B = 1000
SEED = 42
M64 = (1 << 64) - 1
KEY = ["candidate", "metric", "k"]


# --- the reference: the seed logic of docs/evaluation.md, in plain Python ------------------


def splitmix64(x: int) -> int:
    z = (x + 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def replicate_key(seed: int, stream: int, b: int) -> int:
    return splitmix64(splitmix64(splitmix64(seed) ^ stream) ^ b)


@lru_cache(maxsize=64)
def words(seed: int, stream: int, resamples: int, n: int) -> np.ndarray:
    """word(seed, stream, b, i) for b = 1..B (rows) and i = 0..n-1 (columns)."""
    keys = [replicate_key(seed, stream, b) for b in range(1, resamples + 1)]
    return np.array([[splitmix64(key ^ i) for i in range(n)] for key in keys], dtype=np.uint64)


def randomization_p(deltas: np.ndarray, seed: int, resamples: int) -> float:
    flipped = (words(seed, 1, resamples, len(deltas)) >> np.uint64(63)) == 1
    sums = np.where(flipped, -deltas, deltas).sum(axis=1)
    observed = math.fsum(deltas)
    tolerance = math.fsum(abs(d) for d in deltas) * 1e-9
    as_extreme = int((np.abs(sums) >= abs(observed) - tolerance).sum())
    return (as_extreme + 1) / (resamples + 1)


def bootstrap_interval(deltas: np.ndarray, seed: int, resamples: int) -> tuple[float, float]:
    n = len(deltas)
    picks = ((words(seed, 2, resamples, n) >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32)
    means = deltas[picks.astype(np.int64)].sum(axis=1) / n
    low, high = np.quantile(means, [0.025, 0.975])
    return float(low), float(high)


def bucket_of(numbers: np.ndarray, buckets: int) -> np.ndarray:
    """The bucket of the users numbered 0..n-1: uniform_index(splitmix64(number), G)."""
    return np.array([((splitmix64(int(i)) >> 32) * buckets) >> 32 for i in numbers], dtype=np.int64)


def bucket_sums(deltas: np.ndarray, buckets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The delta sum and the users of each non-empty bucket, in bucket order."""
    order = np.unique(buckets)
    return (np.array([math.fsum(deltas[buckets == b]) for b in order]),
            np.array([int((buckets == b).sum()) for b in order]))


def bucket_randomization_p(deltas: np.ndarray, buckets: np.ndarray, seed: int, resamples: int) -> float:
    sums, _ = bucket_sums(deltas, buckets)
    flipped = (words(seed, 1, resamples, len(sums)) >> np.uint64(63)) == 1
    flipped_sums = np.where(flipped, -sums, sums).sum(axis=1)
    tolerance = math.fsum(abs(d) for d in deltas) * 1e-9
    as_extreme = int((np.abs(flipped_sums) >= abs(math.fsum(deltas)) - tolerance).sum())
    return (as_extreme + 1) / (resamples + 1)


def bucket_bootstrap_interval(deltas: np.ndarray, buckets: np.ndarray, seed: int,
                              resamples: int) -> tuple[float, float]:
    sums, users = bucket_sums(deltas, buckets)
    n = len(sums)
    picks = (((words(seed, 2, resamples, n) >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32)).astype(np.int64)
    means = sums[picks].sum(axis=1) / users[picks].sum(axis=1)
    low, high = np.quantile(means, [0.025, 0.975])
    return float(low), float(high)


def paired_t_p(values: np.ndarray, baseline: np.ndarray) -> float | None:
    deltas = values - baseline
    if len(deltas) < 2:
        return None
    if np.all(deltas == deltas[0]):  # scipy: NaN (0/0) or infinite t; the documented values
        return 1.0 if deltas[0] == 0 else 0.0
    return float(stats.ttest_rel(values, baseline).pvalue)


def _wins_ties_losses(values: np.ndarray, base_values: np.ndarray, direction: str) -> dict[str, int | None]:
    """A delta within 1e-12 x the larger |value| of 0 is a tie (docs/evaluation.md)."""
    if direction == "neutral":
        return {"direction": direction, "wins": None, "ties": None, "losses": None}
    deltas = values - base_values
    tie = np.abs(deltas) <= 1e-12 * np.maximum(np.abs(values), np.abs(base_values))
    better = ~tie & ((deltas > 0) if direction == "higher" else (deltas < 0))
    worse = ~tie & ((deltas < 0) if direction == "higher" else (deltas > 0))
    return {"direction": direction, "wins": int(better.sum()), "ties": int(tie.sum()), "losses": int(worse.sum())}


def reference_comparisons(per_user: pd.DataFrame, baseline: str, seed: int = SEED,
                          resamples: int = B, directions: dict[str, str] | None = None,
                          buckets: int = 1000) -> pd.DataFrame:
    """comparisons from the per-user rows (candidate, user_id, metric, k, value); a win is
    a user better off by the metric's direction (higher unless `directions` says lower).
    With more baseline users than `buckets` (var comparison_buckets), the randomization test
    and the bootstrap resample the users' buckets."""
    rows = per_user.dropna(subset=["value"]).assign(k=lambda d: d["k"].astype(float))
    base = rows[rows["candidate"] == baseline].drop(columns="candidate")
    users = sorted(base["user_id"].unique())
    bucketed = len(users) > buckets
    bucket_by_user = dict(zip(users, bucket_of(np.arange(len(users)), buckets), strict=True)) if bucketed else {}
    others = rows[rows["candidate"] != baseline]
    pairs = others.merge(base, on=["user_id", "metric", "k"], suffixes=("", "_baseline"))
    out = []
    for (candidate, metric, k), group in pairs.groupby(KEY, dropna=False, sort=True):
        group = group.sort_values("user_id")
        values, base_values = group["value"].to_numpy(float), group["value_baseline"].to_numpy(float)
        deltas = values - base_values
        if bucketed:
            user_buckets = group["user_id"].map(bucket_by_user).to_numpy(np.int64)
            low, high = bucket_bootstrap_interval(deltas, user_buckets, seed, resamples) if resamples else (None, None)
            p_randomization = bucket_randomization_p(deltas, user_buckets, seed, resamples) if resamples else None
        else:
            low, high = bootstrap_interval(deltas, seed, resamples) if resamples else (None, None)
            p_randomization = randomization_p(deltas, seed, resamples) if resamples else None
        out.append({
            "candidate": candidate, "baseline": baseline, "metric": metric, "k": k,
            "baseline_value": base_values.mean(), "value": values.mean(), "delta": deltas.mean(),
            "rel_delta": deltas.mean() / base_values.mean() if base_values.mean() != 0 else None,
            "ci_low": low, "ci_high": high, "p_ttest": paired_t_p(values, base_values),
            "p_randomization": p_randomization,
            **_wins_ties_losses(values, base_values, (directions or {}).get(metric, "higher")),
        })
    expected = pd.DataFrame(out, columns=["candidate", "baseline", "metric", "k", "baseline_value", "value",
                                          "delta", "rel_delta", "ci_low", "ci_high", "p_ttest",
                                          "p_randomization", "direction", "wins", "ties", "losses"])
    expected["p_adjusted"] = None
    for _, group in expected.groupby("candidate"):
        tested = group[group["p_ttest"].notna()]
        if len(tested):
            expected.loc[tested.index, "p_adjusted"] = multipletests(tested["p_ttest"].astype(float),
                                                                     method="holm")[1]
    return expected


def assert_comparisons_equal(expected: pd.DataFrame, actual: pd.DataFrame) -> None:
    assert len(actual) == len(expected), (len(actual), len(expected))
    actual = actual.assign(k=actual["k"].astype("float")).sort_values(KEY, na_position="first")
    expected = expected.assign(k=expected["k"].astype("float")).sort_values(KEY, na_position="first")
    for column in expected.columns:
        want, got = list(expected[column]), list(actual[column])
        for (key, w, g) in zip(expected[KEY].itertuples(index=False), want, got, strict=True):
            if w is None or (isinstance(w, float) and math.isnan(w)):
                assert g is None or (isinstance(g, float) and math.isnan(g)), (column, key, w, g)
            elif isinstance(w, str):
                assert w == g, (column, key, w, g)
            else:
                assert is_close(float(w), float(g)), (column, key, w, g)


# --- (a) the demo ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_per_user(demo: tuple[Project, Any]) -> pd.DataFrame:
    project, _ = demo
    models = [node.name for node in project.list(select=["tag:per_user"])]
    assert "user_metrics" in models
    return pd.concat([frame(project, f"select candidate, user_id, metric, k, value from {name}")
                      for name in models], ignore_index=True)


def test_demo_comparisons_equal_the_reference(demo: tuple[Project, Any], demo_per_user: pd.DataFrame) -> None:
    project, _ = demo
    directions = dict(frame(project, "select metric, direction from metric_definitions").itertuples(index=False))
    assert directions["avg_popularity"] == "lower" and directions["ndcg"] == "higher"
    expected = reference_comparisons(demo_per_user, "popular", directions=directions)
    actual = frame(project, "select * from comparisons")
    assert_comparisons_equal(expected, actual)
    # a lower average popularity (less popularity bias) is a win, not a loss
    popularity = actual[(actual["metric"] == "avg_popularity") & (actual["candidate"] == "random")].iloc[0]
    assert popularity["delta"] < 0 and popularity["wins"] > popularity["losses"]


def test_demo_compares_every_ranking_metric_of_every_candidate_with_popular(demo: tuple[Project, Any]) -> None:
    # every per_user model feeds comparisons, user_metrics included: if this fails with no
    # ranking row, models tagged per_user by their own config() rendered after comparison_pairs
    project, _ = demo
    table = frame(project, "select * from comparisons")
    assert set(table["baseline"]) == {"popular"} and "popular" not in set(table["candidate"])
    ranking = table[table["metric"] == "ndcg"]
    assert {"item_cooccurrence", "popular_recent", "random"} <= set(ranking["candidate"])
    row = table[(table["candidate"] == "item_cooccurrence") & (table["metric"] == "ndcg") & (table["k"] == 10)]
    assert len(row) == 1
    row = row.iloc[0]
    assert row["ci_low"] <= row["delta"] <= row["ci_high"]
    assert row["wins"] + row["ties"] + row["losses"] == frame(project, "select n_users from evaluated_users").iloc[0, 0]
    tested = table.dropna(subset=["p_ttest"])
    assert (tested["p_adjusted"] >= tested["p_ttest"] - 1e-15).all()


# --- (b) tiny projects ----------------------------------------------------------------------


def compare_project(root: Path, rows: list[tuple], *, vars: dict[str, Any] | None = None,
                    evaluation: dict[str, Any] | None = None) -> Project:
    """models/compare, metric_definitions and every macro of the repository, plus `per_user_values`, a table of
    (candidate, user_id, metric, k, value) rows tagged per_user."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "macros", root / "macros", dirs_exist_ok=True)
    shutil.copytree(REPO / "models" / "compare", root / "models" / "compare", dirs_exist_ok=True)
    # the metric directions (no metric model here: every metric counts as higher-is-better)
    shutil.copy(REPO / "models" / "metrics" / "metric_definitions.sql", root / "models")
    data = pd.DataFrame(rows, columns=["candidate", "user_id", "metric", "k", "value"])
    data["k"] = data["k"].astype("Int64")
    data["value"] = data["value"].astype("Float64")
    data.to_parquet(root / "per_user.parquet", index=False)
    path = (root / "per_user.parquet").as_posix()
    (root / "models" / "per_user_values.sql").write_text(
        "{{ config(materialized='table', tags=['per_user']) }}\n"
        f"select candidate, user_id, metric, k, value from read_parquet('{path}')\n", encoding="utf-8")
    config = {"name": "tiny_compare", "vars": {"comparison_resamples": 200, **(vars or {})},
              "evaluation": evaluation or {}}
    (root / "project.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return Project.load(root)


def build_comparisons(project: Project) -> pd.DataFrame:
    result = project.build(RunOptions(report=False, mlflow=False))
    failed = [(r.name, r.message) for r in result.results if r.status not in ("success", "pass")]
    assert result.success and not failed, failed
    return frame(project, "select * from comparisons")


def random_rows(rng: np.random.Generator, candidates: list[str], users: list[Any], metrics: list[tuple[str, Any]],
                values: Any = None) -> list[tuple]:
    rows = []
    for candidate in candidates:
        for metric, k in metrics:
            for user in users:
                value = rng.random() if values is None else values(rng)
                rows.append((candidate, user, metric, k, float(value)))
    return rows


def check_against_reference(project: Project, rows: list[tuple], baseline: str = "base",
                            seed: int = SEED, resamples: int = 200, buckets: int = 1000) -> pd.DataFrame:
    actual = build_comparisons(project)
    per_user = pd.DataFrame(rows, columns=["candidate", "user_id", "metric", "k", "value"])
    assert_comparisons_equal(reference_comparisons(per_user, baseline, seed, resamples, buckets=buckets), actual)
    return actual


def test_random_values_with_several_metrics_and_candidates(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    rows = random_rows(rng, ["base", "a", "b"], list(range(1, 41)), [("m1", 5), ("m1", 10), ("m2", None)])
    check_against_reference(compare_project(tmp_path / "p", rows, vars={"baseline": "base"}), rows)


def test_identical_candidates_give_delta_zero_and_p_one(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    base = random_rows(rng, ["base"], list(range(1, 31)), [("m", 10)])
    rows = base + [("same", *row[1:]) for row in base]
    table = check_against_reference(compare_project(tmp_path / "p", rows, vars={"baseline": "base"}), rows)
    row = table.iloc[0]
    assert (row["delta"], row["ci_low"], row["ci_high"]) == (0.0, 0.0, 0.0)
    assert (row["p_ttest"], row["p_randomization"], row["p_adjusted"]) == (1.0, 1.0, 1.0)
    assert (row["wins"], row["ties"], row["losses"]) == (0, 30, 0)


def test_all_ties_in_a_discrete_metric(tmp_path: Path) -> None:
    # precision-like values (multiples of 1/20): equal deltas in exact arithmetic differ in
    # their last bits; the tolerance of the randomization test keeps them ties
    rng = np.random.default_rng(3)
    rows = random_rows(rng, ["base", "cand"], list(range(1, 61)), [("precision", 20)],
                       values=lambda r: r.integers(0, 21) / 20)
    check_against_reference(compare_project(tmp_path / "p", rows, vars={"baseline": "base"}), rows)


def test_values_equal_but_for_their_last_bit_are_ties(tmp_path: Path) -> None:
    """1/27 summed in two orders (0.037037037037037035 and 0.03703703703703704, a MAP one
    engine adds up in another order than the other) is a tie, not a win or a loss, so that
    wins/ties/losses do not depend on the engine or its threads; a real difference of
    1e-9 still counts."""
    third = 1 / 27
    nudged = float(np.nextafter(third, 1.0))
    assert nudged != third
    rows = [("base", 1, "map", 10, third), ("cand", 1, "map", 10, nudged),
            ("base", 2, "map", 10, nudged), ("cand", 2, "map", 10, third),
            ("base", 3, "map", 10, 0.5), ("cand", 3, "map", 10, 0.5 + 1e-9),
            ("base", 4, "map", 10, 0.0), ("cand", 4, "map", 10, 0.0)]
    # (the t-test of deltas this small is ill-conditioned, so the whole reference is not asked for)
    table = build_comparisons(compare_project(tmp_path / "p", rows, vars={"baseline": "base"}))
    per_user = pd.DataFrame(rows, columns=["candidate", "user_id", "metric", "k", "value"])
    expected = reference_comparisons(per_user, "base", resamples=200)
    assert tuple(table.iloc[0][["wins", "ties", "losses"]]) == (1, 3, 0)
    assert tuple(expected.iloc[0][["wins", "ties", "losses"]]) == (1, 3, 0)


def test_zero_variance_delta_gives_p_zero_and_a_point_interval(tmp_path: Path) -> None:
    rows = [("base", u, "m", 1, 0.25) for u in range(1, 9)] + [("cand", u, "m", 1, 0.75) for u in range(1, 9)]
    table = check_against_reference(compare_project(tmp_path / "p", rows, vars={"baseline": "base"}), rows)
    row = table.iloc[0]
    assert row["p_ttest"] == 0.0 and row["ci_low"] == row["ci_high"] == 0.5
    assert row["p_randomization"] == pytest.approx(randomization_p(np.full(8, 0.5), SEED, 200))


def test_one_user(tmp_path: Path) -> None:
    rows = [("base", 7, "m", 10, 0.2), ("cand", 7, "m", 10, 0.9)]
    table = check_against_reference(compare_project(tmp_path / "p", rows, vars={"baseline": "base"}), rows)
    row = table.iloc[0]
    assert pd.isna(row["p_ttest"]) and pd.isna(row["p_adjusted"]) and row["p_randomization"] == 1.0
    assert row["ci_low"] == row["ci_high"] == pytest.approx(0.7)


def test_users_missing_on_one_side_and_null_values_are_left_out(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    rows = random_rows(rng, ["base", "cand"], list(range(1, 26)), [("m", 5)])
    rows = [r for r in rows if not (r[0] == "cand" and r[1] in (3, 4))]  # missing in the candidate
    rows = [r for r in rows if not (r[0] == "base" and r[1] == 9)]  # missing in the baseline
    rows = [(c, u, m, k, None if (c, u) == ("cand", 12) else v) for c, u, m, k, v in rows]
    table = check_against_reference(compare_project(tmp_path / "p", rows, vars={"baseline": "base"}), rows)
    assert table.iloc[0][["wins", "ties", "losses"]].sum() == 25 - 4


def test_text_user_ids_are_ordered_as_python_orders_them(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    users = ["u10", "u2", "Ünal", "émile", "zoë", "b", "B", "a-1", "a_1", "日本"]
    rows = random_rows(rng, ["base", "cand"], users, [("m", 3)])
    check_against_reference(compare_project(tmp_path / "p", rows, vars={"baseline": "base"}), rows)


def test_baseline_from_evaluation_and_a_missing_baseline(tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    rows = random_rows(rng, ["ref", "cand"], list(range(1, 11)), [("m", 5)])
    check_against_reference(compare_project(tmp_path / "p", rows, evaluation={"baseline": "ref"}), rows, "ref")
    nobody = compare_project(tmp_path / "q", rows)  # the default baseline, popular, is not a candidate
    assert build_comparisons(nobody).empty


@pytest.mark.parametrize("named_by, settings", [
    ("var baseline", {"vars": {"baseline": "nosuch"}}),
    ("evaluation.baseline", {"evaluation": {"baseline": "nosuch"}}),
])
def test_a_named_baseline_that_is_not_a_candidate_stops_the_build(tmp_path: Path, named_by: str,
                                                                   settings: dict[str, Any]) -> None:
    # rather than comparisons with no row: the build fails and changes nothing
    rows = random_rows(np.random.default_rng(7), ["ref", "cand"], list(range(1, 6)), [("m", 5)])
    project = compare_project(tmp_path / "p", rows, **settings)
    result = project.build(RunOptions(report=False, mlflow=False))
    assert not result.success
    failed = {r.name: r.message for r in result.results if r.status == "error"}
    # comparison_pairs is a view: the first table that reads it stops the build
    assert list(failed) == ["comparison_sums"]
    assert f"{named_by} 'nosuch' is not a candidate; the candidates are cand, ref" in failed["comparison_sums"]
    assert not project.warehouse_path.exists() or "comparisons" not in set(
        frame(project, "select table_name from information_schema.tables")["table_name"])


def test_resampling_can_be_turned_off(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    rows = random_rows(rng, ["base", "cand"], list(range(1, 11)), [("m", 5)])
    project = compare_project(tmp_path / "p", rows, vars={"baseline": "base", "comparison_resamples": 0})
    table = check_against_reference(project, rows, resamples=0)
    assert table[["ci_low", "ci_high", "p_randomization"]].isna().all().all()
    assert table["p_ttest"].notna().all()


def test_the_same_seed_gives_the_same_numbers_and_another_seed_others(tmp_path: Path) -> None:
    rng = np.random.default_rng(8)
    rows = random_rows(rng, ["base", "cand"], list(range(1, 51)), [("m", 5), ("m", 10)])
    project = compare_project(tmp_path / "p", rows, vars={"baseline": "base"})
    first = build_comparisons(project)
    second = build_comparisons(Project.load(project.dir, vars={"comparison_resamples": 200}))
    pd.testing.assert_frame_equal(first, second, check_exact=True)
    other = compare_project(tmp_path / "q", rows, vars={"baseline": "base", "comparison_seed": 7})
    third = check_against_reference(other, rows, seed=7)
    assert not np.allclose(first["ci_low"], third["ci_low"])


# --- (c) more users than comparison_buckets: the buckets are resampled ---------------------


def test_above_comparison_buckets_users_the_buckets_are_resampled(tmp_path: Path) -> None:
    # 90 users in 16 buckets, text ids, a user missing on the candidate's side, null values,
    # ties and two candidates: every column equals the bucketed reference, and the
    # t-test, means and wins stay per user
    rng = np.random.default_rng(11)
    users = [f"u{i:03d}" for i in range(90)]
    rows = random_rows(rng, ["base", "cand", "other"], users, [("m", 5), ("m", 10), ("hit", 5)],
                       values=lambda r: float(r.integers(0, 4)) / 3)
    rows = [row for row in rows if not (row[0] == "cand" and row[1] == "u007")]
    rows[5] = (*rows[5][:4], None)
    project = compare_project(tmp_path / "p", rows, vars={"baseline": "base", "comparison_buckets": 16})
    table = check_against_reference(project, rows, buckets=16)
    buckets = frame(project, "select candidate, metric, k, n_buckets, sum(n_users) as users "
                             "from comparison_buckets group by all")
    assert (buckets["n_buckets"] <= 16).all() and (buckets["n_buckets"] >= 12).all()
    # u007 has no candidate row; u005 has a null baseline value for m@5
    assert set(buckets["users"]) == {88, 89, 90}
    assert (table["wins"] + table["ties"] + table["losses"] >= 88).all()


def test_bucketed_intervals_and_p_values_agree_with_the_per_user_ones(tmp_path: Path) -> None:
    # the coverage check of the bucketed bootstrap: on 3,000 users with a real effect and with
    # none, 100 buckets give the interval of the exact per-user bootstrap (3,000 units) to a
    # few percent of its width, and the same verdict of the randomization test
    rng = np.random.default_rng(12)
    users = list(range(3000))
    rows = []
    for metric, shift in (("effect", 0.02), ("none", 0.0)):
        base = rng.random(len(users))
        cand = np.clip(base + shift + rng.normal(0, 0.2, len(users)), 0, 1)
        rows += [("base", u, metric, 10, float(v)) for u, v in zip(users, base, strict=True)]
        rows += [("cand", u, metric, 10, float(v)) for u, v in zip(users, cand, strict=True)]
    exact = build_comparisons(compare_project(tmp_path / "exact", rows, vars={
        "baseline": "base", "comparison_buckets": 5000, "comparison_resamples": 1000})).set_index("metric")
    bucketed = build_comparisons(compare_project(tmp_path / "buckets", rows, vars={
        "baseline": "base", "comparison_buckets": 100, "comparison_resamples": 1000})).set_index("metric")
    for metric in ("effect", "none"):
        width = exact.loc[metric, "ci_high"] - exact.loc[metric, "ci_low"]
        assert abs(bucketed.loc[metric, "ci_low"] - exact.loc[metric, "ci_low"]) < 0.15 * width
        assert abs(bucketed.loc[metric, "ci_high"] - exact.loc[metric, "ci_high"]) < 0.15 * width
        assert bucketed.loc[metric, "p_ttest"] == exact.loc[metric, "p_ttest"]
    assert exact.loc["effect", "p_randomization"] < 0.01 and bucketed.loc["effect", "p_randomization"] < 0.01
    assert exact.loc["none", "p_randomization"] > 0.05 and bucketed.loc["none", "p_randomization"] > 0.05


@pytest.mark.parametrize("value", [1, 0, "many", 100001, True])
def test_comparison_buckets_must_be_a_sensible_count(tmp_path: Path, value: Any) -> None:
    rows = random_rows(np.random.default_rng(13), ["base", "cand"], list(range(1, 6)), [("m", 5)])
    project = compare_project(tmp_path / "p", rows, vars={"baseline": "base", "comparison_buckets": value})
    with pytest.raises(TemplateError, match="comparison_pairs.sql.*var comparison_buckets must be an integer "
                                            f"from 2 to 100000, got {value}"):
        project.build(RunOptions(report=False, mlflow=False))


def test_splitmix64_in_sql_is_the_reference_bit_for_bit(tmp_path: Path) -> None:
    project = compare_project(tmp_path / "p", [("base", 1, "m", 1, 0.0)], vars={"comparison_seed": 123})
    build_comparisons(project)
    keys = frame(project, "select stream, replicate, replicate_key from comparison_replicates")
    assert len(keys) == 2 * 200
    assert all(int(row.replicate_key) == replicate_key(123, int(row.stream), int(row.replicate))
               for row in keys.itertuples())
    values = [0, 1, 2, 2**32 - 1, 2**32, 2**63, M64 - 1, M64, 0x9E3779B97F4A7C15] + [
        int(v) for v in np.random.default_rng(9).integers(0, 2**63, size=500)]
    sql = "select v, h from {{ with_splitmix64('inputs', 'v', 'h') }}"
    inline = f"with inputs as (select unnest([{', '.join(f'{v}::ubigint' for v in values)}]) as v) {sql}"
    result = project.show(inline=inline, limit=len(values))
    assert [(int(v), int(h)) for v, h in result.rows] == [(v, splitmix64(v)) for v in values]


def test_distribution_functions_equal_scipy() -> None:
    from evalhouse.compile.sql_functions import register_functions

    with duckdb.connect() as connection:
        register_functions(connection)
        rows = connection.execute("""
            select cast(x as double), df, student_t_sf(x, df), student_t_ppf(p, df), normal_sf(x), normal_ppf(p), chi2_sf(abs(x), df)
            from (values (-3.5, 1.0, 0.001), (0.0, 2.5, 0.5), (1.96, 30.0, 0.975), (12.0, 400.0, 0.999999),
                         (null, 3.0, null)) as t(x, df, p)""").fetchall()
        cursor = connection.cursor()  # a cursor sees the functions of its connection
        assert cursor.execute("select normal_sf(0.0)").fetchone()[0] == 0.5
        cursor.close()
    for x, df, t_sf, t_ppf, n_sf, n_ppf, c_sf in rows:
        if x is None:
            assert (t_sf, n_sf, n_ppf) == (None, None, None)
            continue
        p = {-3.5: 0.001, 0.0: 0.5, 1.96: 0.975, 12.0: 0.999999}[x]
        df = float(df)
        for got, want in ((t_sf, stats.t.sf(x, df)), (t_ppf, stats.t.ppf(p, df)), (n_sf, stats.norm.sf(x)),
                          (n_ppf, stats.norm.ppf(p)), (c_sf, stats.chi2.sf(abs(x), df))):
            assert abs(got - want) <= 1e-12 * max(1.0, abs(want)), (x, df, got, want)
