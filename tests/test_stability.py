"""Stability across builds: recs_history keeps a bounded snapshot per build, and
`stability` equals its oracles to 1e-9.

The oracles are written here: Jaccard, "changed" and rank-biased overlap (Webber, Moffat
and Zobel 2010, the extrapolated formula for lists of uneven length, eq. 32) as plain
loops over depths, PSI from numpy's deciles, the KS statistic from scipy's ks_2samp.
Checked on (a) the demo built twice, the second time retrained on train minus its last
60 days (var retrain_lag_days), and (b) adversarial candidate files that change between
three builds (ties, duplicates, short and empty lists, rank gaps, a list without scores,
candidates and users that come and go) with history_keep 2.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from evaluation_project import frame, write_project_yml
from scipy.stats import ks_2samp

from evalhouse import Project, RunOptions
from evalhouse.api.scaffold import init_project

try:  # tests/ is not a package: importable as "tests.oracles" or as "oracles"
    from tests.oracles import ADVERSARIAL_CASES, assert_frames_close, normalize_recs
except ModuleNotFoundError:
    from oracles import ADVERSARIAL_CASES, assert_frames_close, normalize_recs

P = 0.9
PSI_BINS = 10
PSI_EPSILON = 1e-4
DEMO_K = [5, 10, 20, 50, 100]
STABILITY_COLUMNS = ("jaccard", "rbo", "changed_users_share", "score_psi", "score_ks", "n_users")


# --- the oracles ----------------------------------------------------------------------


def rbo_ext(previous: list[Any], current: list[Any], p: float = P) -> float:
    """Extrapolated rank-biased overlap of two lists (Webber et al. 2010, eq. 32); 0 when
    one list is empty. X_d = items the two lists share within depth d (the shorter list
    whole once d passes its length)."""
    if not previous or not current:
        return 0.0
    shorter, longer = sorted((previous, current), key=len)
    s, n = len(shorter), len(longer)  # the paper's s and l

    def overlap(d: int) -> int:
        return len(set(shorter[:d]) & set(longer[:d]))

    x_s, x_l = overlap(s), overlap(n)
    agreement = sum(overlap(d) / d * p**d for d in range(1, n + 1))
    extension = sum(x_s * (d - s) / (s * d) * p**d for d in range(s + 1, n + 1))
    return (1 - p) / p * (agreement + extension) + ((x_l - x_s) / n + x_s / s) * p**n


def psi(previous: list[float], current: list[float]) -> float:
    """Population stability index on the previous scores' deciles (numpy's linear
    quantiles); bin = edges below the score; an empty bin's share is PSI_EPSILON."""
    edges = np.quantile(previous, [j / PSI_BINS for j in range(1, PSI_BINS)])

    def shares(scores: list[float]) -> list[float]:
        counts = [0] * PSI_BINS
        for score in scores:
            counts[sum(edge < score for edge in edges)] += 1
        return [count / len(scores) if count else PSI_EPSILON for count in counts]

    return sum((c - p) * math.log(c / p) for p, c in zip(shares(previous), shares(current), strict=True))


def top_lists(recs: pd.DataFrame, candidate: str, k: int) -> dict[Any, list[tuple[int, Any]]]:
    """{user: [(rank, item), ...] by rank} of one candidate's non-empty top-K lists."""
    rows = recs[(recs["candidate"] == candidate) & (recs["rank"] <= k)].sort_values(["user_id", "rank"])
    return {user: list(zip(g["rank"], g["item_id"], strict=True)) for user, g in rows.groupby("user_id")}


def top_scores(recs: pd.DataFrame, candidate: str, k: int) -> list[float]:
    rows = recs[(recs["candidate"] == candidate) & (recs["rank"] <= k)]
    return [float(s) for s in rows.get("score", pd.Series(dtype=float)) if not pd.isna(s)]


def reference_stability(previous: pd.DataFrame, current: pd.DataFrame, k_values: list[int]) -> pd.DataFrame:
    previous, current = normalize_recs(previous), normalize_recs(current)
    rows = []
    for candidate in sorted(set(previous["candidate"]) & set(current["candidate"])):
        for k in k_values:
            a, b = top_lists(previous, candidate, k), top_lists(current, candidate, k)
            users = set(a) | set(b)
            if not users:
                continue
            jaccard, rbo, changed = [], [], []
            for user in users:
                before, after = a.get(user, []), b.get(user, [])
                items_before, items_after = {i for _, i in before}, {i for _, i in after}
                jaccard.append(len(items_before & items_after) / len(items_before | items_after))
                rbo.append(rbo_ext([i for _, i in before], [i for _, i in after]))
                changed.append(set(before) != set(after))
            scores_before, scores_after = top_scores(previous, candidate, k), top_scores(current, candidate, k)
            both = bool(scores_before) and bool(scores_after)
            rows.append((
                candidate, k, sum(jaccard) / len(users), sum(rbo) / len(users), sum(changed) / len(users),
                psi(scores_before, scores_after) if both else float("nan"),
                float(ks_2samp(scores_before, scores_after).statistic) if both else float("nan"),
                len(users),
            ))
    return pd.DataFrame(rows, columns=["candidate", "k", *STABILITY_COLUMNS])


def test_rbo_oracle_on_hand_computed_lists() -> None:
    assert rbo_ext(list("abc"), list("abc")) == pytest.approx(1.0, abs=1e-12)
    assert rbo_ext(list("abcde"), list("ab")) == pytest.approx(1.0, abs=1e-12)  # a prefix agrees throughout
    assert rbo_ext(list("abc"), list("xyz")) == 0.0 and rbo_ext([], list("a")) == 0.0
    # X = 0, 2, 3: (1-p)/p (0 + 2/2 p^2 + 3/3 p^3) + p^3 = 0.9 exactly
    assert rbo_ext(list("abc"), list("bac")) == pytest.approx(0.9, abs=1e-12)
    # s = 1, l = 2, X_1 = 0, X_2 = 1: (1-p)/p (X_2/2 p^2) + ((X_2 - X_1)/2 + X_1/1) p^2
    expected = (1 - P) / P * (0.5 * P**2) + 0.5 * P**2
    assert rbo_ext(list("b"), list("ab")) == pytest.approx(expected, abs=1e-12)


# --- helpers --------------------------------------------------------------------------


def build(project: Project, select: list[str] | None = None) -> Any:
    """Build seeds and models; with a selection, no data tests (the inputs' tests are the
    ranking tests' business and may read models outside the selection)."""
    exclude = ["resource_type:test"] if select else []
    return project.build(RunOptions(select=select or [], exclude=exclude, report=False, mlflow=False))


def recs_now(project: Project) -> pd.DataFrame:
    return frame(project, "select candidate, user_id, item_id, rank, score from recs")


def assert_stability_equals(project: Project, expected: pd.DataFrame) -> pd.DataFrame:
    actual = frame(project, "select * from stability")
    for column in STABILITY_COLUMNS:
        assert_frames_close(expected, actual, keys=["candidate", "k"], value=column)
    return actual


# --- (a) the demo, retrained on older data ---------------------------------------------


@pytest.fixture(scope="module")
def demo_twice(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("stability_demo")
    init_project(root)
    first = Project.load(root)
    first_result = build(first)
    snapshot = {"first_result": first_result, "first_recs": recs_now(first),
                "first_stability": frame(first, "select * from stability")}
    second = Project.load(root, vars={"retrain_lag_days": 60})
    snapshot.update(second=second, second_result=build(second), second_recs=recs_now(second))
    return snapshot


def test_a_first_build_has_history_but_no_stability_rows(demo_twice: dict[str, Any]) -> None:
    assert demo_twice["first_result"].success
    assert demo_twice["first_stability"].empty


def test_demo_stability_equals_the_oracles(demo_twice: dict[str, Any]) -> None:
    project = demo_twice["second"]
    assert demo_twice["second_result"].success
    expected = reference_stability(demo_twice["first_recs"], demo_twice["second_recs"], DEMO_K)
    actual = assert_stability_equals(project, expected)
    builds = frame(project, "select build_id, min(built_at) as built_at from recs_history group by build_id "
                            "order by built_at")
    assert len(builds) == 2
    assert set(actual["previous_build_id"]) == {builds["build_id"][0]}
    assert set(actual["build_id"]) == {builds["build_id"][1]}


def test_a_retrain_lag_moves_the_baselines(demo_twice: dict[str, Any]) -> None:
    project = demo_twice["second"]
    at_10 = frame(project, "select * from stability where k = 10").set_index("candidate")
    assert (at_10["jaccard"] < 1).all() and (at_10["changed_users_share"] > 0).all()
    assert at_10.loc["random", "jaccard"] < at_10.loc["popular", "jaccard"]  # a new catalog reshuffles the walk
    assert at_10.loc["popular", "score_psi"] > 0 and at_10.loc["popular", "score_ks"] > 0
    counts = frame(project, """
        select (select sum(n_interactions) from item_popularity) as learned,
               (select count(*) from train
                where ts <= (select max(ts) - interval 60 days from train)) as expected""").iloc[0]
    assert counts["learned"] == counts["expected"]


# --- (b) adversarial files across three builds ------------------------------------------


def snapshots(seed: int) -> list[pd.DataFrame]:
    """Three builds' candidate rows: p stays the same, q and the others are redrawn, r
    leaves after the first build, fresh arrives in the second; gappy has no scores, the
    lists of shifted stay but their scores move up by 1 a build (bins empty on one side)."""
    out = []
    for build_index in range(3):
        kitchen, _ = ADVERSARIAL_CASES["kitchen_sink"](seed + build_index)  # score only: ties, duplicates
        first_kitchen, _ = ADVERSARIAL_CASES["kitchen_sink"](seed)
        gappy, _ = ADVERSARIAL_CASES["rank_gaps"](seed + build_index)
        short, _ = ADVERSARIAL_CASES["short_lists"](seed + build_index)
        shifted, _ = ADVERSARIAL_CASES["integer_ids"](seed)
        shifted = shifted.assign(candidate="shifted", user_id="s" + shifted["user_id"].astype(str),
                                 item_id="s" + shifted["item_id"].astype(str), score=shifted["score"] + build_index)
        parts = [
            shifted,
            first_kitchen[first_kitchen["candidate"] == "p"],
            kitchen[kitchen["candidate"] == "q"],
            gappy.drop(columns="score"),
            short,
        ]
        if build_index == 0:
            parts.append(kitchen[kitchen["candidate"] == "r"])
        else:
            full, _ = ADVERSARIAL_CASES["multiple_candidates"](seed + build_index)
            parts.append(full[full["candidate"] == "full"].assign(candidate="fresh"))
        out.append(pd.concat(parts, ignore_index=True))
    return out


@pytest.fixture(scope="module")
def stability_tiny(tiny_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("stability_tiny") / "project"
    shutil.copytree(tiny_template, root)
    return root


def write_build_inputs(root: Path, recs: pd.DataFrame, k_values: list[int], keep: int) -> Project:
    inputs = root / "inputs"
    shutil.rmtree(inputs, ignore_errors=True)
    inputs.mkdir()
    labels = pd.DataFrame({"user_id": ["u1"], "item_id": ["x"], "relevance": [1.0], "ts": [1]})
    labels.to_parquet(inputs / "labels.parquet", index=False)
    candidates = {}
    for index, name in enumerate(sorted(recs["candidate"].unique())):
        rows = recs[recs["candidate"] == name].drop(columns="candidate").dropna(axis="columns", how="all")
        rows.to_parquet(inputs / f"candidate_{index}.parquet", index=False)
        candidates[name] = f"inputs/candidate_{index}.parquet"

    def point_at_files(config: dict) -> None:
        config["evaluation"] = {"labels": "inputs/labels.parquet", "candidates": candidates, "baselines": []}
        config["vars"].update({"k_values": k_values, "rel_threshold": 1, "history_keep": keep})

    write_project_yml(root, point_at_files)
    return Project.load(root)


def test_adversarial_builds_equal_the_oracles_and_history_stays_bounded(stability_tiny: Path) -> None:
    k_values = [1, 3, 5, 10]
    builds = snapshots(5)
    seen_ids: list[str] = []
    for index, recs in enumerate(builds):
        project = write_build_inputs(stability_tiny, recs, k_values, keep=2)
        result = build(project, ["+stability"])
        failed = [(r.name, r.message) for r in result.results if r.status not in ("success", "pass", "warn")]
        assert result.success and not failed, failed
        ids = frame(project, "select build_id, min(built_at) as built_at from recs_history group by build_id "
                             "order by built_at")["build_id"].tolist()
        seen_ids = [*seen_ids, ids[-1]]
        assert ids == seen_ids[-2:]  # history_keep 2: the last two builds only
        if index == 0:
            assert frame(project, "select * from stability").empty
            continue
        actual = assert_stability_equals(project, reference_stability(builds[index - 1], recs, k_values))
        assert set(actual["previous_build_id"]) == {ids[-2]} and set(actual["build_id"]) == {ids[-1]}
        assert "r" not in set(actual["candidate"])  # gone after the first build
        assert ("fresh" in set(actual["candidate"])) == (index == 2)  # new in the second
        unchanged = actual[actual["candidate"] == "p"]
        assert ((unchanged[["jaccard", "rbo"]] - 1).abs() < 1e-12).all().all()
        assert (unchanged["changed_users_share"] == 0).all()
        assert (unchanged[["score_psi", "score_ks"]].abs() < 1e-12).all().all()
        assert actual.loc[actual["candidate"] == "gappy", ["score_psi", "score_ks"]].isna().all().all()
        moved = actual[actual["candidate"] == "shifted"]
        assert (moved["score_ks"] == 1).all() and (moved["score_psi"] > 1).all() and (moved["jaccard"] == 1).all()
    history_rows = frame(project, "select count(*) as n from recs_history")["n"].iloc[0]
    expected_rows = sum(int((normalize_recs(b)["rank"] <= max(k_values)).sum()) for b in builds[-2:])
    assert history_rows == expected_rows
