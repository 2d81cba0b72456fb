"""The beyond-accuracy metrics equal their oracles to 1e-9.

The oracles are written as their sources define them, in tests/oracles/beyond.py
(docs/metrics.md, "Beyond accuracy"). Checked on (a) the demo project and (b) the
adversarial cases of tests/oracles, written as label, train, candidate and item files
(evaluation.items) with random genres (items without genres, items missing from it, items
unseen in train, users without train items), plus a one-user case; and each new oracle
against its library's documented example.
"""

from __future__ import annotations

import itertools
import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from evaluation_project import frame, write_project_yml

from evalhouse import Project, RunOptions
from evalhouse.errors import EvalhouseError

try:  # tests/ is not a package: importable as "tests.oracles" or as "oracles"
    from tests.oracles import ADVERSARIAL_CASES, assert_frames_close, beyond, case_settings, is_close
    from tests.oracles.side_data import Genres, side_data
except ModuleNotFoundError:
    from oracles import ADVERSARIAL_CASES, assert_frames_close, beyond, case_settings, is_close
    from oracles.side_data import Genres, side_data

SEED = 11
DEMO_K = [5, 10, 20, 50, 100]
BEYOND_MODELS = ("catalog_coverage_at_k", "distributional_coverage_at_k", "user_coverage_at_k", "gini_at_k",
                 "personalization_at_k", "novelty_at_k", "beyond_user_means", "shannon_entropy_at_k")
SELECT_BEYOND = ["+path:models/metrics/beyond_accuracy"]


def assert_intersection_equals_reference(project: Project, recs: pd.DataFrame, labels: pd.DataFrame,
                                         k_values: list[int]) -> None:
    expected = beyond.reference_intersection(recs, labels, k_values)
    actual = frame(project, "select * from intersection_at_k")
    keys = ["candidate", "reference", "k"]
    for column in ("value", "n_users"):
        assert_frames_close(expected, actual, keys=keys, value=column)


# --- helpers --------------------------------------------------------------------------


def build(project: Project, select: list[str] | None = None) -> Any:
    """Build seeds and models; with a selection, no data tests (the inputs' tests are the
    ranking tests' business and may read models outside the selection)."""
    exclude = ["resource_type:test"] if select else []
    return project.build(RunOptions(select=select or [], exclude=exclude, report=False, mlflow=False))


def beyond_metrics(project: Project) -> pd.DataFrame:
    parts = " union all by name ".join(f"select * from {name}" for name in BEYOND_MODELS)
    return frame(project, f"select candidate, metric, k, value, n_users from ({parts}) as m")


def assert_equal_to_reference(project: Project, expected: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    expected_metrics, expected_users = expected
    actual = beyond_metrics(project)
    for column in ("value", "n_users"):
        assert_frames_close(expected_metrics, actual, keys=["candidate", "metric", "k"], value=column)
    assert_frames_close(expected_users, frame(project, "select * from user_beyond_metrics"))


def movie_genres(movies_csv: Path) -> Genres:
    movies = pd.read_csv(movies_csv, dtype=str, keep_default_na=False)
    genres = {}
    for item, listed in zip(movies["movieId"], movies["genres"], strict=True):
        names = {g for g in listed.split("|") if g} if listed != "(no genres listed)" else set()
        if names:
            genres[str(item)] = names
    return genres


# --- (a) the demo ---------------------------------------------------------------------


def test_demo_beyond_accuracy_equals_the_oracles(demo: tuple[Project, Any]) -> None:
    project, result = demo
    statuses = {r.name: r.status for r in result.results}
    assert all(statuses[name] == "success" for name in (*BEYOND_MODELS, "user_beyond_metrics"))
    recs = frame(project, "select candidate, user_id, item_id, rank, score from recs")
    labels = frame(project, "select user_id, item_id, relevance from labels")
    train = frame(project, "select user_id, item_id from train")
    genres = movie_genres(project.dir / "seeds" / "movielens" / "movies.csv")
    expected = beyond.reference(recs, labels, train, genres, DEMO_K, rel_threshold=4.0)
    assert set(expected[0]["metric"]) == {*beyond.GLOBAL_METRICS, *beyond.MEAN_METRICS}
    assert_equal_to_reference(project, expected)


def test_demo_intersection_equals_the_oracle(demo: tuple[Project, Any]) -> None:
    project, _ = demo
    recs = frame(project, "select candidate, user_id, item_id, rank, score from recs")
    labels = frame(project, "select user_id, item_id, relevance from labels")
    assert_intersection_equals_reference(project, recs, labels, DEMO_K)
    # popular and item_cooccurrence share most of their lists; random shares almost nothing
    at_10 = frame(project, "select * from intersection_at_k where k = 10").set_index(["candidate", "reference"])
    assert at_10.loc[("popular", "item_cooccurrence"), "value"] > 0.5 > at_10.loc[("random", "popular"), "value"]


def test_demo_metrics_and_leaderboard_carry_the_beyond_metrics(demo: tuple[Project, Any]) -> None:
    project, _ = demo
    metrics = frame(project, "select candidate, metric, k, value, n_users from metrics")
    ours = beyond_metrics(project)
    merged = ours.merge(metrics, on=["candidate", "metric", "k"], suffixes=("", "_metrics"))
    assert len(merged) == len(ours) > 0 and (merged["value"] == merged["value_metrics"]).all()
    board = frame(project, "select * from leaderboard")
    for name in ("catalog_coverage@10", "gini@10", "personalization@10", "ild@10", "novelty@10",
                 "calibration_kl@10", "user_coverage@100"):
        assert name in board.columns, name
    per_user = {node.name for node in project.list(select=["tag:per_user"])}
    metric_models = {node.name for node in project.list(select=["tag:metric"])}
    assert "user_beyond_metrics" in per_user and "user_beyond_metrics" not in metric_models
    assert set(BEYOND_MODELS) <= metric_models


def test_demo_values_are_plausible(demo: tuple[Project, Any]) -> None:
    # random spreads over the catalog, the popularity baselines concentrate on a few items
    project, _ = demo
    at_10 = beyond_metrics(project).query("k == 10").pivot(index="candidate", columns="metric", values="value")
    assert at_10.loc["random", "catalog_coverage"] > 5 * at_10.loc["popular", "catalog_coverage"]
    assert at_10.loc["random", "gini"] < at_10.loc["popular", "gini"] < 1
    assert at_10.loc["random", "personalization"] > at_10.loc["popular", "personalization"] > 0
    assert at_10.loc["random", "novelty"] > at_10.loc["popular", "novelty"]
    assert (at_10["seen_rate"] == 0).all()  # exclude_seen is on
    assert ((at_10["ild"] > 0) & (at_10["ild"] < 1)).all()


# --- (b) adversarial inputs -------------------------------------------------------------


@pytest.fixture(scope="session")
def beyond_template(tiny_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny template with its templates compiled once (the cache every copy reuses)."""
    root = tmp_path_factory.mktemp("beyond_template") / "project"
    shutil.copytree(tiny_template, root)
    Project.load(root).compile(write=False, check_sql=False)
    return root


def build_case(root: Path, recs: pd.DataFrame, labels: pd.DataFrame, k_values: list[int], fmt: str = "parquet",
               seed: int = SEED) -> tuple[Project, Any, tuple[pd.DataFrame, pd.DataFrame]]:
    train, item_genres, genres = side_data(recs, labels, seed)
    inputs = root / "inputs"
    inputs.mkdir(exist_ok=True)

    def write(data: pd.DataFrame, name: str) -> str:
        path = inputs / f"{name}.{fmt}"
        data = data.dropna(axis="columns", how="all")
        data.to_parquet(path, index=False) if fmt == "parquet" else data.to_csv(path, index=False)
        return f"inputs/{path.name}"

    candidates = {name: write(recs[recs["candidate"] == name].drop(columns="candidate"), f"candidate_{i}")
                  for i, name in enumerate(sorted(recs["candidate"].unique()))}
    files = {"labels": write(labels, "labels"), "train": write(train, "train"), "items": write(item_genres, "items")}

    def point_at_files(config: dict) -> None:
        config["evaluation"] = {**files, "candidates": candidates, "baselines": []}
        config["vars"].update({"k_values": k_values, "rel_threshold": 1})

    write_project_yml(root, point_at_files)
    project = Project.load(root)
    result = build(project, SELECT_BEYOND)
    return project, result, beyond.reference(recs, labels, train, genres, k_values)


def one_user(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One user in labels; lists of 1 and 6 items, a list for a user not in labels."""
    recs = pd.DataFrame({
        "candidate": ["solo"] * 6 + ["single"] + ["solo"] * 2,
        "user_id": ["only"] * 7 + ["stranger"] * 2,
        "item_id": ["a", "b", "c", "d", "e", "f", "a", "a", "z"],
        "rank": [1, 2, 3, 4, 5, 6, 1, 1, 2],
    })
    labels = pd.DataFrame({"user_id": ["only"], "item_id": ["b"], "relevance": [1.0], "ts": [1]})
    return recs, labels


def combined_cases(seed: int) -> tuple[pd.DataFrame, pd.DataFrame, list[int]]:
    """Every adversarial case in one population: users and items prefixed by the case's
    name (ids become text), K the union of the cases' K. A case's candidates become the
    candidates "<position in the case>_<ranked|scored>", so a handful of files carry every
    list unchanged (users never overlap between cases). One build checks them all; the
    demo covers integer ids, the tests below the cases that need a population of their own."""
    recs_parts, label_parts, k_values = [], [], set()
    for name, make in sorted(ADVERSARIAL_CASES.items()):
        recs, labels = make(seed)
        prefix = name + "|"
        has_rank = recs.groupby("candidate")["rank"].apply(lambda r: bool(r.notna().any())) \
            if "rank" in recs.columns else recs.groupby("candidate")["item_id"].apply(lambda _: False)
        position = {c: i for i, c in enumerate(sorted(recs["candidate"].unique()))}
        recs = recs.assign(
            candidate=[f"{position[c]}_{'ranked' if has_rank[c] else 'scored'}" for c in recs["candidate"]],
            user_id=prefix + recs["user_id"].astype(str), item_id=prefix + recs["item_id"].astype(str))
        labels = labels.assign(user_id=prefix + labels["user_id"].astype(str),
                               item_id=prefix + labels["item_id"].astype(str))
        recs_parts.append(recs)
        label_parts.append(labels)
        k_values |= set(case_settings(name).k_values)
    return pd.concat(recs_parts, ignore_index=True), pd.concat(label_parts, ignore_index=True), sorted(k_values)


@pytest.fixture
def beyond_tiny(beyond_template: Path, tmp_path: Path) -> Path:
    root = tmp_path / "tiny"
    shutil.copytree(beyond_template, root)
    return root


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_adversarial_cases_equal_the_oracles(beyond_tiny: Path, fmt: str) -> None:
    recs, labels, k_values = combined_cases(SEED)
    project, result, expected = build_case(beyond_tiny, recs, labels, k_values, fmt)
    failed = [(r.name, r.message) for r in result.results if r.status not in ("success", "pass", "warn")]
    assert not failed
    expected_metrics, expected_users = expected
    assert set(expected_users["metric"]) == set(beyond.USER_METRICS)  # genres, train and lists met
    assert set(expected_metrics["metric"]) == {*beyond.GLOBAL_METRICS, *beyond.MEAN_METRICS}
    assert_equal_to_reference(project, expected)
    assert_intersection_equals_reference(project, recs, labels, k_values)


def test_intersection_by_hand(beyond_tiny: Path) -> None:
    # u: a lists x, y, z; b lists y, w (and nothing else); c lists nothing for u, only for v
    recs = pd.DataFrame({"candidate": ["a", "a", "a", "b", "b", "c"], "user_id": ["u"] * 5 + ["v"],
                         "item_id": ["x", "y", "z", "y", "w", "x"], "rank": [1, 2, 3, 1, 2, 1]})
    labels = pd.DataFrame({"user_id": ["u", "v"], "item_id": ["x", "x"], "relevance": [1.0, 1.0], "ts": [1, 2]})
    project, result, _ = build_case(beyond_tiny, recs, labels, [1, 3])
    assert result.success
    assert_intersection_equals_reference(project, recs, labels, [1, 3])
    rows = frame(project, "select * from intersection_at_k").set_index(["candidate", "reference", "k"])["value"]
    assert rows[("a", "b", 3)] == pytest.approx(1 / 3)  # y of x, y, z
    assert rows[("b", "a", 3)] == pytest.approx(1 / 2)  # y of y, w
    assert rows[("a", "b", 1)] == 0.0 and rows[("a", "c", 3)] == 0.0  # c has no list for u


def test_one_user_has_no_personalization_and_single_items_no_ild(beyond_tiny: Path) -> None:
    recs, labels = one_user(SEED)
    project, result, expected = build_case(beyond_tiny, recs, labels, [1, 5, 10])
    assert_equal_to_reference(project, expected)
    metrics = beyond_metrics(project)
    assert "personalization" not in set(metrics["metric"])
    user_rows = frame(project, "select * from user_beyond_metrics where metric = 'ild'")
    assert not ((user_rows["candidate"] == "single") | (user_rows["k"] == 1)).any()
    coverage = metrics.query("metric == 'user_coverage'").set_index(["candidate", "k"])["value"]
    assert (coverage == 1.0).all()  # the stranger is not a label user


def test_lists_only_for_users_outside_labels_cover_nothing(beyond_tiny: Path) -> None:
    recs = pd.DataFrame({"candidate": ["ghost", "ghost", "real"], "user_id": ["x", "y", "u"],
                         "item_id": ["a", "b", "a"], "rank": [1, 1, 1]})
    labels = pd.DataFrame({"user_id": ["u", "v"], "item_id": ["a", "b"], "relevance": [1.0, 1.0], "ts": [1, 2]})
    project, result, expected = build_case(beyond_tiny, recs, labels, [1, 3])
    assert_equal_to_reference(project, expected)
    ghost = beyond_metrics(project).query("candidate == 'ghost'")
    assert set(ghost["metric"]) == {"catalog_coverage", "user_coverage"} and (ghost["value"] == 0).all()
    real = beyond_metrics(project).query("candidate == 'real' and metric == 'user_coverage'")
    assert (real["value"] == 0.5).all()


def test_genre_metrics_are_left_out_when_no_item_has_genres(beyond_tiny: Path) -> None:
    recs, labels = ADVERSARIAL_CASES["integer_ids"](SEED)
    project, _, _ = build_case(beyond_tiny, recs, labels, [1, 5])
    no_items = pd.DataFrame({"item_id": pd.Series([], dtype=str), "genres": pd.Series([], dtype=str)})
    no_items.to_parquet(beyond_tiny / "inputs" / "items.parquet", index=False)
    assert build(project, SELECT_BEYOND).success
    metrics = set(beyond_metrics(project)["metric"])
    assert metrics == {*beyond.GLOBAL_METRICS, "avg_popularity", "seen_rate", "inverse_user_frequency", "tail_share",
                       "serendipity"}


def test_tail_share_follows_the_long_tail_ratio(beyond_tiny: Path) -> None:
    recs, labels = ADVERSARIAL_CASES["multiple_candidates"](SEED)
    project, _, _ = build_case(beyond_tiny, recs, labels, [1, 5])
    write_project_yml(beyond_tiny, lambda config: config["vars"].update({"long_tail_ratio": 0.5}))
    project = Project.load(beyond_tiny)
    assert build(project, SELECT_BEYOND).success
    train, _, genres = side_data(recs, labels, SEED)
    _, expected = beyond.reference(recs, labels, train, genres, [1, 5], tail_ratio=0.5)
    actual = frame(project, "select * from user_beyond_metrics where metric = 'tail_share'")
    assert_frames_close(expected[expected["metric"] == "tail_share"], actual)
    default = beyond.reference(recs, labels, train, genres, [1, 5])[1]
    assert not np.allclose(  # the ratio changed something
        default[default["metric"] == "tail_share"]["value"], actual.sort_values(["candidate", "user_id", "k"])["value"])


# --- the new oracles against their libraries' documented examples -------------------------


def test_inverse_user_frequency_oracle_matches_the_rectools_docstring() -> None:
    # RecTools' MeanInvUserFreq example: users 1, 2, 3 with lists [3], [2, 3], [1, 2]
    train_df = pd.DataFrame({"user": ["1", "1", "2", "3"], "item": ["1", "2", "1", "1"]})
    lists = {"1": ["3"], "2": ["2", "3"], "3": ["1", "2"]}
    at_1 = [beyond.rectools_inverse_user_frequency(train_df, items[:1]) for items in lists.values()]
    at_3 = [beyond.rectools_inverse_user_frequency(train_df, items[:3]) for items in lists.values()]
    assert np.allclose(at_1, [1.5849625, 1.5849625, 0.0]) and np.allclose(at_3, [1.5849625, 1.5849625, 0.79248125])


def test_serendipity_oracle_matches_the_rectools_docstring() -> None:
    # RecTools' Serendipity example: catalog i1..i4 (n = 4), prev interactions i1 x 3, i2 x 2;
    # relevant: u1 i1, i2; u2 i2, i3; u3 i2; u4 i2. Expected @1: 0, 0.25, 0, 0.25; @2: 0, 0.5, 0, 0.125
    prev = pd.DataFrame({"user": ["u1", "u1", "u2", "u2", "u3"], "item": ["i1", "i2", "i1", "i2", "i1"]})
    lists = {"u1": [(1, "i1"), (2, "i2")], "u2": [(1, "i2"), (2, "i3")], "u3": [(1, "i3")], "u4": [(1, "i2"), (2, "i3")]}
    relevant = {"u1": {"i1", "i2"}, "u2": {"i2", "i3"}, "u3": {"i2"}, "u4": {"i2"}}
    at_1 = [beyond.rectools_serendipity(prev, ranked[:1], relevant[u], n_items=4) for u, ranked in lists.items()]
    at_2 = [beyond.rectools_serendipity(prev, ranked[:2], relevant[u], n_items=4) for u, ranked in lists.items()]
    assert np.allclose(at_1, [0, 0.25, 0, 0.25]) and np.allclose(at_2, [0, 0.5, 0, 0.125])


def test_tail_items_by_hand() -> None:
    # 5 train items by interactions: e 1, d 2, c 2, b 3, a 5; ratio 0.5 -> int(2.5) = 2: e, then c before d
    train_df = pd.DataFrame({"user": ["u"] * 13, "item": list("aaaaabbbccdde")})
    assert beyond.recbole_tail_items(train_df, 0.5) == {"e", "c"}
    assert beyond.recbole_tail_items(train_df, 0.1) == {"e"}  # at least one item
    assert beyond.tail_share(train_df, ["a", "c", "z"], 0.5) == pytest.approx(2 / 3)  # z: unseen in train


# --- the personalization identity, on its own -------------------------------------------


def test_personalization_per_item_sum_equals_the_pairwise_sum() -> None:
    # sum over pairs of |A n B| / sqrt(|A||B|) = (sum_i (sum_{u has i} 1/sqrt(l_u))^2 - n) / 2
    rng = np.random.default_rng(SEED)
    lists = [list(rng.choice(30, size=int(rng.integers(1, 12)), replace=False)) for _ in range(40)]
    pairwise = sum(len(set(a) & set(b)) / math.sqrt(len(a) * len(b)) for a, b in itertools.combinations(lists, 2))
    weights: dict[int, float] = {}
    for items in lists:
        for item in items:
            weights[item] = weights.get(item, 0.0) + 1 / math.sqrt(len(items))
    assert is_close(pairwise, (sum(w * w for w in weights.values()) - len(lists)) / 2)


def test_a_bad_retrain_lag_stops_the_build(tiny_template: Path) -> None:
    with pytest.raises(EvalhouseError, match="retrain_lag_days must be a whole number of days"):
        Project.load(tiny_template, vars={"retrain_lag_days": -3}).compile(write=False)
