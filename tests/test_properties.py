"""Metric invariants on random inputs (hypothesis), built through the real project.

Each example writes labels and candidate files into a copy of the tiny project and builds
it, so the properties hold for what the warehouse computes, not for a model of it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
from evaluation_project import build_with_files, frame
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

K_VALUES = [1, 2, 3, 5, 10]
BOUNDED = ("precision", "recall", "recall_capped", "f_beta", "hit_rate", "mrr", "map", "map_capped",
           "ndcg", "ndcg_exp", "rbp")
BOUNDED_WITHOUT_K = ("r_precision", "bpref")  # one row with k null, the list read up to max(K)
# what the properties read, with everything upstream of it and the tests on it: half the
# nodes of a full build (the A/B, slice, comparison and history families read none of it)
RANKING_TABLES = ["+metrics", "+user_metrics", "+recall_curve"]
SETTINGS = settings(max_examples=12, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@st.composite
def evaluations(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ranked lists of 0..8 items for 1..5 users and two candidates, and graded labels."""
    n_users = draw(st.integers(1, 5))
    items = list(range(1, 13))
    recs, labels = [], []
    for user in range(1, n_users + 1):
        for candidate in ("a", "b"):
            ranked = draw(st.lists(st.sampled_from(items), max_size=8, unique=True))
            recs += [(candidate, user, item, rank) for rank, item in enumerate(ranked, start=1)]
        labelled = draw(st.lists(st.sampled_from(items), min_size=1, max_size=6, unique=True))
        # the first user's first label is relevant: labels without any relevant item are an
        # error of the project (tests/data/labels_hold_a_relevant_item.sql), not a metric case
        labels += [(user, item, float(draw(st.integers(1 if user == 1 and i == 0 else 0, 5))))
                   for i, item in enumerate(labelled)]
    recs_frame = pd.DataFrame(recs, columns=["candidate", "user_id", "item_id", "rank"])
    if recs_frame.empty:
        recs_frame = pd.DataFrame([("a", 1, 1, 1)], columns=["candidate", "user_id", "item_id", "rank"])
    return recs_frame, pd.DataFrame(labels, columns=["user_id", "item_id", "relevance"])


def build_case(tiny_template: Path, tmp_path: Path, name: str, recs: pd.DataFrame, labels: pd.DataFrame):
    root = tmp_path / name
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(tiny_template, root)
    project, result = build_with_files(root, recs, labels, "parquet", K_VALUES, rel_threshold=1.0,
                                       select=RANKING_TABLES)
    assert result.success, "\n".join(f"{r.name}: {r.message}" for r in result.results
                                      if not r.ok and r.status != "skipped")
    return project


@SETTINGS
@given(case=evaluations())
def test_bounded_metrics_lie_in_0_1_and_recall_grows_with_k(tiny_template, tmp_path, case):
    recs, labels = case
    project = build_case(tiny_template, tmp_path, "bounded", recs, labels)
    user_metrics = frame(project, "select * from user_metrics")
    # only relevant users get rows
    expected = {*BOUNDED, *BOUNDED_WITHOUT_K} if (labels["relevance"] >= 1.0).any() else set()
    assert set(user_metrics["metric"]) == expected
    assert user_metrics["value"].between(0, 1 + 1e-12).all()
    metrics = frame(project, "select * from metrics where metric in ('precision', 'recall', 'ndcg', 'map', 'mrr')")
    assert metrics["value"].dropna().between(0, 1 + 1e-12).all()
    for metric in ("recall", "hit_rate"):
        per_user = user_metrics[user_metrics["metric"] == metric].sort_values("k")
        for _, values in per_user.groupby(["candidate", "user_id"])["value"]:
            assert values.is_monotonic_increasing
    curve = frame(project, "select candidate, k, recall from recall_curve order by candidate, k")
    for _, values in curve.groupby("candidate")["recall"]:
        assert values.dropna().is_monotonic_increasing  # null when no user has a relevant item


@SETTINGS
@given(case=evaluations())
def test_a_perfect_ranking_scores_one(tiny_template, tmp_path, case):
    _, labels = case
    relevant = labels[labels["relevance"] >= 1.0]
    if relevant.empty:
        return
    # the ideal list: every relevant item of the user, by relevance, best first
    ideal = relevant.sort_values(["user_id", "relevance", "item_id"], ascending=[True, False, True])
    ideal = ideal.assign(candidate="perfect", rank=ideal.groupby("user_id").cumcount() + 1)
    recs = ideal[["candidate", "user_id", "item_id", "rank"]]
    project = build_case(tiny_template, tmp_path, "perfect", recs, labels)
    per_user = frame(project, "select * from user_metrics where candidate = 'perfect'")
    n_relevant = relevant.groupby("user_id").size().rename("n_relevant").reset_index()
    per_user = per_user.merge(n_relevant, on="user_id")
    covered = per_user[per_user["k"] >= per_user["n_relevant"]]
    for metric in ("ndcg", "ndcg_exp", "map", "map_capped", "recall", "recall_capped", "hit_rate", "mrr"):
        values = covered[covered["metric"] == metric]["value"]
        assert (abs(values - 1) < 1e-12).all(), metric
    # with the ideal order, NDCG is 1 at every K, covered or not
    assert (abs(per_user[per_user["metric"] == "ndcg"]["value"] - 1) < 1e-12).all()
    # and r_precision and bpref are 1 when every relevant item fits in the top max(K)
    within = per_user[per_user["metric"].isin(BOUNDED_WITHOUT_K) & (per_user["n_relevant"] <= max(K_VALUES))]
    assert (abs(within["value"] - 1) < 1e-12).all()


@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=evaluations(), data=st.data())
def test_renaming_users_and_items_changes_nothing(tiny_template, tmp_path, case, data):
    recs, labels = case
    # a bijection of users to text ids (with non-ASCII characters) and of items to other integers
    shuffled = data.draw(st.permutations(list(range(1, 13))))
    item_map = {item: 1000 + new for item, new in zip(range(1, 13), shuffled, strict=True)}
    user_map = {user: f"usér-{user * 7}-ü" for user in set(recs["user_id"]) | set(labels["user_id"])}
    renamed_recs = recs.assign(user_id=recs["user_id"].map(user_map), item_id=recs["item_id"].map(item_map))
    renamed_labels = labels.assign(user_id=labels["user_id"].map(user_map), item_id=labels["item_id"].map(item_map))

    original = build_case(tiny_template, tmp_path, "original", recs, labels)
    renamed = build_case(tiny_template, tmp_path, "renamed", renamed_recs, renamed_labels)
    keys = ["candidate", "metric", "k"]
    # the ranking metrics: the others join the ids to the demo's catalog (genres, popularity,
    # the bias baseline's ratings), which the renamed ids no longer match
    ranking = f"select * from metrics where metric in ({', '.join(repr(m) for m in BOUNDED + BOUNDED_WITHOUT_K)})"
    before = frame(original, ranking).sort_values(keys).reset_index(drop=True)
    after = frame(renamed, ranking).sort_values(keys).reset_index(drop=True)
    assert len(before) == (len(BOUNDED) * len(K_VALUES) + len(BOUNDED_WITHOUT_K)) * recs["candidate"].nunique()
    pd.testing.assert_frame_equal(before, after, check_exact=False, atol=1e-12, rtol=0)
    per_user = frame(original, "select * from user_metrics")
    per_user_renamed = frame(renamed, "select * from user_metrics")
    per_user["user_id"] = per_user["user_id"].map(user_map)
    user_keys = ["candidate", "user_id", "metric", "k"]
    pd.testing.assert_frame_equal(
        per_user.sort_values(user_keys).reset_index(drop=True),
        per_user_renamed.sort_values(user_keys).reset_index(drop=True),
        check_exact=False, atol=1e-12, rtol=0, check_dtype=False,
    )
