"""The evaluation project's ranking metrics equal their oracle to 1e-9.

(a) The demo project (MovieLens, four baselines), built once per session: every row of
user_metrics and metrics against the reference of tests/oracles, and against ranx and
pytrec_eval directly. (b) Every adversarial case, written as label and candidate files
(Parquet and CSV) into a tiny project with no baselines. (c) The rest of the pipeline:
recall curve, leaderboard, split, cold-start counting, baselines and the data tests.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from evaluation_project import (
    build,
    build_with_files,
    frame,
    statuses,
    write_project_yml,
)

from evalhouse import Project, RunOptions
from evalhouse.api.scaffold import init_project
from evalhouse.errors import EvalhouseError

try:  # tests/ is not a package: importable as "tests.oracles" or as "oracles"
    from tests.oracles import (
        ADVERSARIAL_CASES,
        RANKING_METRICS,
        RANKING_METRICS_WITHOUT_K,
        assert_frames_close,
        case_settings,
        pytrec_eval_user_metrics,
        ranx_user_metrics,
        reference_metrics,
        reference_user_metrics,
    )
except ModuleNotFoundError:
    from oracles import (
        ADVERSARIAL_CASES,
        RANKING_METRICS,
        RANKING_METRICS_WITHOUT_K,
        assert_frames_close,
        case_settings,
        pytrec_eval_user_metrics,
        ranx_user_metrics,
        reference_metrics,
        reference_user_metrics,
    )

DOCS = Path(__file__).resolve().parents[1] / "docs" / "evaluation.md"
DEMO_K = [5, 10, 20, 50, 100]
DEMO_THRESHOLD = 4.0
METRIC_KEYS = ("candidate", "metric", "k")
SEED = 7
# `metrics` also holds the rows of every other model tagged metric (beyond accuracy,
# classification, ...): the ranking oracles compare the ranking rows
RANKING_NAMES = ", ".join(f"'{m}'" for m in RANKING_METRICS)
RANKING_ROWS = f"select * from metrics where metric in ({RANKING_NAMES})"

# --- fixtures (the demo and tiny projects themselves come from conftest.py) ----------


@pytest.fixture(scope="session")
def demo_inputs(demo: tuple[Project, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    project, _ = demo
    recs = frame(project, "select candidate, user_id, item_id, rank, score from recs")
    labels = frame(project, "select user_id, item_id, relevance, ts from labels")
    return recs, labels


@pytest.fixture(scope="session")
def demo_reference(demo_inputs: tuple[pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    recs, labels = demo_inputs
    return reference_user_metrics(recs, labels, DEMO_K, DEMO_THRESHOLD)


@pytest.fixture(scope="session")
def demo_dropping_cold_users(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, Any]:
    """The demo again, in its own folder, with cold-start users dropped from the holdout."""
    root = tmp_path_factory.mktemp("demo_drop")
    init_project(root)
    project = Project.load(root, vars={"cold_start_users": "drop"})
    return project, build(project)


# --- (a) the demo project against the oracle -----------------------------------------


def test_demo_builds_with_every_test_passing(demo: tuple[Project, Any]) -> None:
    _, result = demo
    failed = [(r.name, r.status, r.message) for r in result.results if r.status not in ("success", "pass")]
    assert result.success and not failed


def test_demo_user_metrics_equal_the_reference(demo: tuple[Project, Any], demo_reference: pd.DataFrame) -> None:
    project, _ = demo
    user_metrics = frame(project, "select * from user_metrics")
    assert set(user_metrics["metric"]) == set(RANKING_METRICS)
    assert_frames_close(demo_reference, user_metrics)


def test_demo_metrics_equal_the_reference_means(
    demo: tuple[Project, Any], demo_inputs: tuple[pd.DataFrame, pd.DataFrame], demo_reference: pd.DataFrame
) -> None:
    project, _ = demo
    recs, labels = demo_inputs
    expected = reference_metrics(demo_reference, labels, recs, DEMO_THRESHOLD)
    metrics = frame(project, RANKING_ROWS)
    for column in ("value", "n_users", "users_without_relevant"):
        assert_frames_close(expected, metrics, keys=METRIC_KEYS, value=column)


@pytest.mark.parametrize("library", ["ranx", "pytrec_eval"])
def test_demo_user_metrics_equal_the_libraries(
    demo: tuple[Project, Any], demo_inputs: tuple[pd.DataFrame, pd.DataFrame], library: str
) -> None:
    project, _ = demo
    recs, labels = demo_inputs
    compute = ranx_user_metrics if library == "ranx" else pytrec_eval_user_metrics
    expected = compute(recs, labels, DEMO_K, DEMO_THRESHOLD)
    assert {"precision", "recall", "hit_rate", "map", "ndcg"} <= set(expected["metric"])
    user_metrics = frame(project, "select * from user_metrics")
    keys = ["candidate", "user_id", "metric", "k"]
    assert_frames_close(expected, user_metrics.merge(expected[keys], on=keys))


# --- (b) adversarial inputs as files -------------------------------------------------


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
@pytest.mark.parametrize("name", sorted(ADVERSARIAL_CASES))
def test_adversarial_case_equals_the_reference(tiny: Path, name: str, fmt: str) -> None:
    recs, labels = ADVERSARIAL_CASES[name](SEED)
    settings = case_settings(name)
    project, result = build_with_files(tiny, recs, labels, fmt, list(settings.k_values), settings.rel_threshold)
    errors = [(r.name, r.message) for r in result.results if r.status in ("error", "fail", "skipped")]
    if name == "multiple_candidates":
        # its 'ghost' candidate serves no label user: the build says so (exit 1) and, failed,
        # keeps nothing; without that check every metric is computed
        assert errors == [("candidates_reach_label_users", "1 failing row")]
        result = project.build(RunOptions(exclude=["candidates_reach_label_users"], report=False, mlflow=False))
        assert result.success, [(r.name, r.message) for r in result.results if not r.ok]
    else:
        assert not errors

    expected = reference_user_metrics(recs, labels, settings.k_values, settings.rel_threshold)
    assert_frames_close(expected, frame(project, "select * from user_metrics"))
    expected_means = reference_metrics(expected, labels, recs, settings.rel_threshold)
    metrics = frame(project, RANKING_ROWS)
    for column in ("value", "n_users", "users_without_relevant"):
        assert_frames_close(expected_means, metrics, keys=METRIC_KEYS, value=column)
    if "rank" not in recs.columns and not recs.duplicated(["candidate", "user_id", "item_id"]).any():
        # score-only lists: trec_eval itself breaks the ties (score, then docno descending)
        by_trec_eval = pytrec_eval_user_metrics(
            recs, labels, settings.k_values, settings.rel_threshold, order_from="score")
        keys = ["candidate", "user_id", "metric", "k"]
        assert_frames_close(by_trec_eval, frame(project, "select * from user_metrics").merge(
            by_trec_eval[keys], on=keys))


def test_nan_ranks_in_parquet_count_as_missing(tiny: Path) -> None:
    # pandas writes a missing number as NaN: a rank column of NaN means "rank by score"
    recs, labels = ADVERSARIAL_CASES["tied_scores"](SEED)
    settings = case_settings("tied_scores")
    project, result = build_with_files(tiny, recs, labels, "parquet", list(settings.k_values), settings.rel_threshold)
    for index, name in enumerate(sorted(recs["candidate"].unique())):
        rows = recs[recs["candidate"] == name].drop(columns="candidate").assign(rank=float("nan"))
        rows.to_parquet(tiny / "inputs" / f"candidate_{index}.parquet", index=False)
    assert build(project).success
    expected = reference_user_metrics(recs, labels, settings.k_values, settings.rel_threshold)
    assert_frames_close(expected, frame(project, "select * from user_metrics"))


def test_users_without_relevant_items_can_count_as_zero(tiny: Path) -> None:
    recs, labels = ADVERSARIAL_CASES["users_without_relevant"](SEED)
    settings = case_settings("users_without_relevant")
    project, result = build_with_files(tiny, recs, labels, "parquet", list(settings.k_values),
                                       settings.rel_threshold, {"count_users_without_relevant": True})
    assert result.success
    expected = reference_metrics(
        reference_user_metrics(recs, labels, settings.k_values, settings.rel_threshold),
        labels, recs, settings.rel_threshold, count_users_without_relevant=True)
    metrics = frame(project, RANKING_ROWS)
    assert (expected["users_without_relevant"] > 0).all()
    for column in ("value", "n_users", "users_without_relevant"):
        assert_frames_close(expected, metrics, keys=METRIC_KEYS, value=column)


def test_f_beta_follows_the_beta_var(tiny: Path) -> None:
    recs, labels = ADVERSARIAL_CASES["graded_integer"](SEED)
    project, result = build_with_files(tiny, recs, labels, "parquet", [1, 3, 10], 1.0, {"beta": 2})
    assert result.success
    expected = reference_user_metrics(recs, labels, [1, 3, 10], 1.0, beta=2.0)
    actual = frame(project, "select * from user_metrics where metric = 'f_beta'")
    assert_frames_close(expected[expected["metric"] == "f_beta"], actual)


def test_rbp_follows_the_persistence_var(tiny: Path) -> None:
    recs, labels = ADVERSARIAL_CASES["rank_gaps"](SEED)
    project, result = build_with_files(tiny, recs, labels, "parquet", [1, 3, 10], 1.0, {"rbp_persistence": 0.5})
    assert result.success
    expected = reference_user_metrics(recs, labels, [1, 3, 10], 1.0, persistence=0.5)
    actual = frame(project, "select * from user_metrics where metric = 'rbp'")
    assert_frames_close(expected[expected["metric"] == "rbp"], actual)
    by_ranx = ranx_user_metrics(recs, labels, [1, 3, 10], 1.0, persistence=0.5)
    assert_frames_close(by_ranx[by_ranx["metric"] == "rbp"], actual)


# --- (c) the rest of the pipeline ----------------------------------------------------


def test_recall_curve_runs_through_every_recall_at_k(demo: tuple[Project, Any]) -> None:
    project, _ = demo
    curve = frame(project, "select * from recall_curve")
    recall = frame(project, "select candidate, k, value from metrics where metric = 'recall'")
    assert len(curve) == 4 * max(DEMO_K)
    assert sorted(curve.groupby("candidate")["k"].apply(list).iloc[0]) == list(range(1, max(DEMO_K) + 1))
    assert (curve.sort_values(["candidate", "k"]).groupby("candidate")["recall"].diff().dropna() >= -1e-12).all()
    merged = recall.merge(curve, on=["candidate", "k"])
    assert len(merged) == len(recall) == 4 * len(DEMO_K)
    assert (merged["value"] - merged["recall"]).abs().max() <= 1e-9


def test_leaderboard_has_a_row_per_candidate_and_a_column_per_metric_at_k(demo: tuple[Project, Any]) -> None:
    project, _ = demo
    board = frame(project, "select * from leaderboard")
    # a metric without a cut-off (k null) has one column, named without "@"
    metric_columns = [
        name for metric in sorted(RANKING_METRICS)
        for name in ([metric] if metric in RANKING_METRICS_WITHOUT_K else [f"{metric}@{k}" for k in DEMO_K])]
    ranking_columns = [c for c in board.columns if c.split("@")[0] in RANKING_METRICS]
    assert list(board.columns[:2]) == ["candidate", "n_users"] and ranking_columns == metric_columns
    # bias: the rating baseline (models/regression), a row with the regression columns only, last
    assert sorted(board["candidate"]) == ["bias", "item_cooccurrence", "popular", "popular_recent", "random"]
    ranked = board["ndcg@10"].dropna()
    assert list(ranked) == sorted(ranked, reverse=True) and board["candidate"].iloc[-1] == "bias"  # best first
    metrics = frame(project, f"select candidate, metric || coalesce('@' || k, '') as name, value from ({RANKING_ROWS})")
    long = board.loc[board["candidate"] != "bias", ["candidate", "n_users", *metric_columns]].melt(
        id_vars=["candidate", "n_users"], var_name="name", value_name="board_value")
    merged = long.merge(metrics, on=["candidate", "name"])
    assert len(merged) == len(long) == len(metrics)
    assert (merged["board_value"] == merged["value"]).all()


def test_recs_with_target_is_the_outer_join_of_lists_and_labels(demo: tuple[Project, Any]) -> None:
    project, _ = demo
    merged = frame(project, "select * from recs_with_target")
    recs = frame(project, "select candidate, user_id, item_id, rank from recs")
    labels = frame(project, "select user_id, item_id, relevance from labels")
    expected = recs.merge(
        labels.merge(pd.DataFrame({"candidate": recs["candidate"].unique()}), how="cross"),
        on=["candidate", "user_id", "item_id"], how="outer")
    assert len(merged) == len(expected)
    never = merged[~merged["is_recommended"]]
    assert (never["rank"] == max(DEMO_K) + 1).all() and never["score"].isna().all() and len(never) > 0
    unlabelled = merged[merged["is_recommended"]].merge(labels, on=["user_id", "item_id"], how="left",
                                                        suffixes=("", "_label"))
    assert (unlabelled.loc[unlabelled["relevance_label"].isna(), "relevance"] == 0).all()
    assert (merged["is_relevant"] == (merged["relevance"] >= DEMO_THRESHOLD)).all()


def test_random_is_the_floor(demo: tuple[Project, Any]) -> None:
    project, _ = demo
    board = frame(project, "select * from leaderboard").set_index("candidate")
    for column in ("ndcg@10", "recall@100", "precision@10"):
        assert board[column].idxmin() == "random"


def test_split_cuts_at_the_holdout_quantile_without_leakage(demo: tuple[Project, Any]) -> None:
    project, _ = demo
    ts = frame(project, "select ts from stg_interactions")["ts"].sort_values().reset_index(drop=True)
    cutoff = frame(project, "select cutoff from split_cutoff")["cutoff"].iloc[0]
    before, at_or_before = (ts < cutoff).mean(), (ts <= cutoff).mean()
    assert before <= 0.8 <= at_or_before  # the 0.8 quantile of time (holdout_fraction 0.2)
    assert cutoff in set(ts)  # a discrete quantile: a time that occurs
    spans = frame(project, """
        select (select max(ts) from split_train) as last_train, (select min(ts) from split_holdout) as first_holdout,
               (select count(*) from split_train) as n_train, (select count(*) from split_holdout) as n_holdout,
               (select count(*) from stg_interactions) as n_all""").iloc[0]
    assert spans["last_train"] < cutoff <= spans["first_holdout"]
    assert spans["n_train"] + spans["n_holdout"] == spans["n_all"]  # cold-start users are kept by default
    types = dict(frame(project, "select column_name, data_type from information_schema.columns "
                                "where table_name = 'stg_interactions'").values)
    assert types["ts"] == "TIMESTAMP"


def test_labels_rank_the_holdout_by_rating_then_recency(demo: tuple[Project, Any]) -> None:
    project, _ = demo
    labels = frame(project, "select * from holdout_labels")
    expected = labels.sort_values(["user_id", "relevance", "ts", "item_id"], ascending=[True, False, False, True])
    expected = expected.assign(expected_rank=expected.groupby("user_id").cumcount() + 1)
    assert (expected["rating_rank"] == expected["expected_rank"]).all()
    assert (labels["is_relevant"] == (labels["relevance"] >= DEMO_THRESHOLD)).all()


def test_cold_start_users_are_counted_and_dropped_on_request(
    demo: tuple[Project, Any], demo_dropping_cold_users: tuple[Project, Any]
) -> None:
    kept_project, _ = demo
    dropped_project, result = demo_dropping_cold_users
    assert result.success
    train_users = set(frame(kept_project, "select distinct user_id from split_train")["user_id"])
    holdout_users = set(frame(kept_project, "select distinct user_id from split_holdout")["user_id"])
    cold = holdout_users - train_users
    assert cold
    for project, policy in ((kept_project, "keep"), (dropped_project, "drop")):
        summary = frame(project, "select * from split_summary").iloc[0]
        assert summary["n_cold_start_users"] == len(cold)
        assert summary["cold_start_users"] == policy
    dropped_users = set(frame(dropped_project, "select distinct user_id from labels")["user_id"])
    assert dropped_users == holdout_users - cold
    assert set(frame(kept_project, "select distinct user_id from labels")["user_id"]) == holdout_users


def test_random_lists_are_the_same_in_every_build(
    demo: tuple[Project, Any], demo_dropping_cold_users: tuple[Project, Any]
) -> None:
    # the second build has fewer users, the same train and seed: every warm user's list is unchanged
    query = "select user_id, item_id, rank from recs where candidate = 'random' order by user_id, rank"
    first, second = frame(demo[0], query), frame(demo_dropping_cold_users[0], query)
    assert len(second) > 0
    merged = second.merge(first, on=["user_id", "rank"], suffixes=("_second", "_first"))
    assert len(merged) == len(second) and (merged["item_id_second"] == merged["item_id_first"]).all()
    lists = first.groupby("user_id")["item_id"].apply(tuple)
    assert lists.nunique() == len(lists)  # a different walk for every user


def test_popular_ranks_by_train_count_then_item_id_without_seen_items(demo: tuple[Project, Any]) -> None:
    project, _ = demo
    train = frame(project, "select user_id, item_id from train")
    counts = train.groupby("item_id").size()
    order = sorted(counts.index, key=lambda item: (-counts[item], item))
    seen = train.groupby("user_id")["item_id"].apply(set).to_dict()
    recs = frame(project, "select user_id, item_id, rank, score from recs where candidate = 'popular'")
    for user, rows in recs.groupby("user_id"):
        expected = [item for item in order if item not in seen.get(user, set())][: max(DEMO_K)]
        assert list(rows.sort_values("rank")["item_id"]) == expected
        assert list(rows.sort_values("rank")["score"]) == [float(counts[i]) for i in expected]
    assert any(counts.iloc[i] == counts.iloc[i + 1] for i in range(len(counts) - 1))  # ties exist


def test_baselines_never_recommend_seen_items_and_fill_every_list(demo: tuple[Project, Any]) -> None:
    project, _ = demo
    summary = frame(project, """
        select r.candidate, count(*) as n_rows, count(distinct r.user_id) as n_users,
               count(t.user_id) as n_seen, max(r.rank) as max_rank
        from recs as r
        left join (select distinct user_id, item_id from train) as t
            on t.user_id = r.user_id and t.item_id = r.item_id
        group by r.candidate""").set_index("candidate")
    n_users = frame(project, "select count(distinct user_id) as n from labels")["n"].iloc[0]
    assert set(summary.index) == {"popular", "popular_recent", "item_cooccurrence", "random"}
    assert (summary["n_seen"] == 0).all()
    assert (summary["n_users"] == n_users).all()
    assert (summary["n_rows"] == n_users * max(DEMO_K)).all() and (summary["max_rank"] == max(DEMO_K)).all()


def test_duplicated_rows_warn_with_their_count(tiny: Path) -> None:
    recs, labels = ADVERSARIAL_CASES["duplicated_rows"](SEED)
    settings = case_settings("duplicated_rows")
    _, result = build_with_files(tiny, recs, labels, "csv", list(settings.k_values), settings.rel_threshold)
    duplicated = recs.groupby(["candidate", "user_id", "item_id"]).size()
    warning = statuses(result)["recs_duplicated_rows"]
    assert result.success and warning.status == "warn"
    assert warning.failures == int((duplicated > 1).sum()) > 0
    assert warning.message == f"{warning.failures} failing rows"


def test_error_tests_fail_on_broken_inputs_and_skip_the_metrics(tiny: Path) -> None:
    recs = pd.DataFrame({
        "candidate": "broken", "user_id": ["u1", "u1", None, "u2", "u2"],
        "item_id": ["a", "b", "c", "a", "b"], "rank": [1, 2, 1, 0, 1],
    })
    labels = pd.DataFrame({"user_id": ["u1", "u2", None], "item_id": ["a", "b", "c"],
                           "relevance": [1.0, None, 1.0], "ts": [1, 2, 3]})
    _, result = build_with_files(tiny, recs, labels, "parquet", [1, 5], 1.0)
    by_name = statuses(result)
    assert not result.success
    for test in ("not_null_recs_user_id", "recs_rank_is_positive", "not_null_labels_user_id",
                 "not_null_labels_relevance"):
        assert by_name[test].status == "fail", test
    assert by_name["recs_rank_is_positive"].failures == 1
    assert by_name["recs_unique_per_candidate_user_item"].status == "pass"
    for model in ("hits", "user_metrics", "metrics", "leaderboard"):
        assert by_name[model].status == "skipped", model


def test_two_items_at_one_rank_fail_the_build(tiny: Path) -> None:
    # u1 shows two items at rank 1; u2's ranks 1 and 65 share a bit of the test's bitmap, not a
    # rank. With var rank_ties: error (the default, break, renumbers: tests/test_inputs_once.py)
    recs = pd.DataFrame({"candidate": "tied", "user_id": ["u1", "u1", "u2", "u2"],
                         "item_id": ["a", "b", "a", "b"], "rank": [1, 1, 1, 65]})
    labels = pd.DataFrame({"user_id": ["u1"], "item_id": ["a"], "relevance": [1.0], "ts": [1]})
    _, result = build_with_files(tiny, recs, labels, "csv", [1, 5], 1.0, {"rank_ties": "error"})
    test = statuses(result)["recs_rank_unique_per_list"]
    assert test.status == "fail" and test.failures == 1
    assert test.sample[0]["user_id"] == "u1"
    assert statuses(result)["metrics"].status == "skipped"


def test_a_metric_is_one_sql_file_as_the_docs_show(tiny: Path) -> None:
    # the two worked examples of docs/evaluation.md, copied into the project as they are
    examples = re.findall(r"in `(models/metrics/[\w/]+\.sql)`:\n\n```sql\n(.*?)```", DOCS.read_text("utf-8"), re.S)
    assert [path for path, _ in examples] == [
        "models/metrics/ranking/first_hit_share_at_k.sql", "models/metrics/catalog_share.sql"]
    for path, sql in examples:
        (tiny / path).write_text(sql, encoding="utf-8")
    # ... each with its metadata beside it, as the docs show it
    metadata = re.findall(r"in `(models/metrics/[\w/]+\.yml)`:\n\n```yaml\n(.*?)```", DOCS.read_text("utf-8"), re.S)
    assert [path for path, _ in metadata] == [
        "models/metrics/ranking/first_hit_share.yml", "models/metrics/catalog_share.yml"]
    for path, yml in metadata:
        (tiny / path).write_text(yml, encoding="utf-8")
    recs, labels = ADVERSARIAL_CASES["integer_ids"](SEED)
    project, result = build_with_files(tiny, recs, labels, "parquet", [1, 3], 1.0)
    assert result.success
    metrics = frame(project, "select * from metrics")
    assert set(RANKING_METRICS) | {"first_hit_share", "catalog_share"} <= set(metrics["metric"])
    board = frame(project, "select * from leaderboard")
    assert {"first_hit_share@1", "first_hit_share@3", "catalog_share@1", "catalog_share@3"} <= set(board.columns)
    user_metrics = frame(project, "select * from user_metrics")
    reference = reference_user_metrics(recs, labels, [1, 3], 1.0)
    # the new per-user metric: 1 / relevant items exactly when precision@1 is 1
    precision_at_1 = reference[(reference["metric"] == "precision") & (reference["k"] == 1)]
    share = user_metrics[(user_metrics["metric"] == "first_hit_share") & (user_metrics["k"] == 1)]
    merged = share.merge(precision_at_1, on=["candidate", "user_id"], suffixes=("", "_p"))
    recall_at_1 = reference[(reference["metric"] == "recall") & (reference["k"] == 1)]
    merged = merged.merge(recall_at_1, on=["candidate", "user_id"], suffixes=("", "_r"))
    assert len(merged) == len(share) > 0
    assert ((merged["value"] - merged["value_r"] * merged["value_p"]).abs() <= 1e-9).all()


def test_own_train_and_labels_bypass_the_split(tiny: Path) -> None:
    train = pd.DataFrame({"user_id": ["a", "a", "b", "c"], "item_id": ["x", "y", "x", "z"],
                          "ts": pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-03", "2020-01-04"])})
    labels = pd.DataFrame({"user_id": ["a", "b"], "item_id": ["z", "y"], "relevance": [1, 1],
                           "ts": pd.to_datetime(["2020-02-01", "2020-02-02"])})
    (tiny / "inputs").mkdir()
    train.to_parquet(tiny / "inputs" / "train.parquet")
    labels.to_csv(tiny / "inputs" / "labels.csv", index=False)

    def use_own_files(config: dict) -> None:
        config["evaluation"] = {"train": "inputs/train.parquet", "labels": "inputs/labels.csv",
                                "baselines": ["popular"]}
        config["vars"].update({"k_values": [1, 2], "rel_threshold": 1})

    write_project_yml(tiny, use_own_files)
    project = Project.load(tiny)
    assert build(project).success
    recs = frame(project, "select user_id, item_id, rank from recs order by user_id, rank")
    # popular in that train: x (2), then y and z (1 each, ties by item_id), less the seen items
    assert recs.values.tolist() == [["a", "z", 1], ["b", "y", 1], ["b", "z", 2]]
    assert frame(project, "select value from metrics where metric = 'hit_rate' and k = 1")["value"].iloc[0] == 1.0


def test_an_explicit_cutoff_date_splits_there(tiny: Path) -> None:
    project = Project.load(tiny, vars={"cutoff": "2017-08-20"})
    assert build(project).success
    cutoff = frame(project, "select cutoff, cutoff_from from split_cutoff").iloc[0]
    assert str(cutoff["cutoff"]) == "2017-08-20 00:00:00" and cutoff["cutoff_from"] == "var cutoff"
    assert frame(project, "select max(ts) < timestamp '2017-08-20' as ok from split_train")["ok"].iloc[0]


@pytest.mark.parametrize("bad_vars, message", [
    ({"k_values": []}, "k_values must be a non-empty list of positive integers"),
    ({"k_values": [5, 0]}, "k_values must be a non-empty list of positive integers"),
    ({"holdout_fraction": 1.5}, "holdout_fraction must be a number between 0 and 1"),
    ({"cold_start_users": "maybe"}, "cold_start_users must be 'keep' or 'drop'"),
    ({"rbp_persistence": 1}, "rbp_persistence must be a number strictly between 0 and 1"),
    ({"rbp_persistence": 0}, "rbp_persistence must be a number strictly between 0 and 1"),
    ({"rbp_persistence": "high"}, "rbp_persistence must be a number strictly between 0 and 1"),
    ({"long_tail_ratio": 0}, "long_tail_ratio must be a number in"),
    ({"long_tail_ratio": 1.2}, "long_tail_ratio must be a number in"),
])
def test_bad_vars_stop_the_build_with_a_clear_error(tiny: Path, bad_vars: dict, message: str) -> None:
    with pytest.raises(EvalhouseError, match=message):
        Project.load(tiny, vars=bad_vars).compile(write=False)
