"""User slices (models/slices) and metrics_by_slice against pandas and scikit-learn.

The slices are rebuilt here from the inputs by their definitions (docs/evaluation.md):
activity buckets at numpy's inverted-CDF quantiles of the train counts, new vs returning
against the cutoff, rating-style terciles, one slice per column of a user attributes file.
Then every metric by slice: the per-user tables averaged with a pandas groupby (ranking
users without a relevant label counting 0 when the var says so), classification and
regression metrics with scikit-learn on each slice's rows, a few beyond-accuracy metrics
by their formulas, and, for all of them, a slice that holds every user equals `metrics`.
"""

from __future__ import annotations

import math
import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from evaluation_project import frame, statuses, write_project_yml, write_table
from oracles.prediction import (
    CLASSIFICATION_METRICS,
    REGRESSION_METRICS,
    regression_users,
    sklearn_regression,
)
from sklearn import metrics as sk

from evalhouse import Project, RunOptions

try:  # tests/ is not a package: importable as "tests.oracles" or as "oracles"
    from tests.oracles import assert_frames_close
except ModuleNotFoundError:
    from oracles import assert_frames_close

SLICE_KEYS = ["candidate", "slice", "slice_value", "metric", "k"]
CLASSIFICATION = CLASSIFICATION_METRICS
REGRESSION = REGRESSION_METRICS
SEED = 7


# --- the oracle: slices -------------------------------------------------------------


def quantile_buckets(values: pd.Series, n_buckets: int) -> pd.Series:
    """1..n: cut at the inverted-CDF quantiles j / n; a value at a cut falls in the lower bucket."""
    cuts = [np.quantile(values.to_numpy(), j / n_buckets, method="inverted_cdf") for j in range(1, n_buckets)]
    return values.map(lambda v: 1 + sum(v > cut for cut in cuts))


def expected_slices(
    label_users: list,
    train: pd.DataFrame,
    cutoff: pd.Timestamp | None,
    new_user_days: int = 30,
    activity_buckets: int = 3,
    attributes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    users = pd.Index(sorted(set(label_users), key=str), name="user_id")
    counts = train.groupby("user_id").size().reindex(users, fill_value=0)
    warm = counts[counts > 0]
    activity = pd.Series("cold", index=users)
    activity[warm.index] = "q" + quantile_buckets(warm, activity_buckets).astype(str)
    first_ts = pd.to_datetime(train["ts"]).groupby(train["user_id"]).min()
    tenure = pd.Series("new", index=users)
    for user in users.intersection(first_ts.index):
        first = first_ts[user]
        if pd.isna(first) or cutoff is None:
            tenure[user] = "unknown"
        elif first < cutoff - pd.Timedelta(days=new_user_days):
            tenure[user] = "returning"
    means = train.dropna(subset=["rating"]).groupby("user_id")["rating"].mean().reindex(users).dropna()
    style = pd.Series("unrated", index=users)
    style[counts == 0] = "cold"
    style[means.index] = quantile_buckets(means, 3).map({1: "harsh", 2: "neutral", 3: "generous"})
    parts = {"activity": activity, "tenure": tenure, "rating_style": style}
    if attributes is not None:
        table = attributes.set_index("user_id").reindex(users)
        for column in table.columns:
            parts[column] = table[column].map(lambda v: "(missing)" if pd.isna(v) else str(v))
    return pd.concat(
        [s.rename("slice_value").reset_index().assign(slice=name) for name, s in parts.items()],
        ignore_index=True,
    )[["user_id", "slice", "slice_value"]]


def assert_same_slices(project: Project, expected: pd.DataFrame) -> None:
    actual = frame(project, "select * from user_slices")
    keys = ["user_id", "slice"]
    merged = expected.merge(actual, on=keys, how="outer", suffixes=("_expected", "_actual"), indicator=True)
    wrong = merged[
        (merged["_merge"] != "both") | (merged["slice_value_expected"] != merged["slice_value_actual"])
    ]
    assert wrong.empty, wrong.head(20).to_string()


# --- the oracle: metrics by slice -----------------------------------------------------


def per_user_means(
    per_user: pd.DataFrame, slices: pd.DataFrame, zero_users: pd.Series | None = None
) -> pd.DataFrame:
    """The per-user rows averaged per slice; zero_users (per slice and slice_value) adds
    users that count as 0."""
    merged = per_user.merge(slices, on="user_id")
    out = merged.groupby(SLICE_KEYS, dropna=False).agg(value_sum=("value", "sum"), n_users=("value", "count"))
    out = out.reset_index()
    if zero_users is not None:
        extra = out.set_index(["slice", "slice_value"]).index.map(lambda key: zero_users.get(key, 0))
        out["n_users"] = out["n_users"] + np.asarray(extra)
    return out.assign(value=out["value_sum"] / out["n_users"]).drop(columns="value_sum")


def classification_values(
    rows: pd.DataFrame, threshold: float, with_log_loss: bool
) -> dict[str, tuple[float, int]]:
    """metric -> (value, n_users) of one group of scored rows (user_id, score, y)."""
    y, s = rows["y"].to_numpy(), rows["score"].to_numpy(dtype=float)
    predicted = (s >= threshold).astype(int)
    n_users = rows["user_id"].nunique()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = {
            "roc_auc": sk.roc_auc_score(y, s) if 0 < y.sum() < len(y) else math.nan,
            "average_precision": sk.average_precision_score(y, s),
            "pr_auc": sk.auc(*sk.precision_recall_curve(y, s)[1::-1]) if y.sum() > 0 else math.nan,
            "accuracy_at_threshold": sk.accuracy_score(y, predicted),
            "precision_at_threshold": sk.precision_score(y, predicted, zero_division=0),
            "recall_at_threshold": sk.recall_score(y, predicted, zero_division=0),
            "f1_at_threshold": sk.f1_score(y, predicted, zero_division=0),
        }
        if with_log_loss:
            values["log_loss"] = sk.log_loss(y, np.clip(s, 1e-15, 1 - 1e-15), labels=[0, 1])
    out = {name: (value, n_users) for name, value in values.items()}
    aucs = [
        (g["y"].sum(), sk.roc_auc_score(g["y"], g["score"]))
        for _, g in rows.groupby("user_id")
        if 0 < g["y"].sum() < len(g)
    ]
    if aucs:
        out["gauc"] = (sum(p * a for p, a in aucs) / sum(p for p, _ in aucs), len(aucs))
    return out


def regression_values(pairs: pd.DataFrame, n_labels: int) -> dict[str, tuple[float, int]]:
    y, p = pairs["rating"].to_numpy(float), pairs["prediction"].to_numpy(float)
    values = sklearn_regression(y, p, n_labels)
    users = regression_users(y, pairs["user_id"].to_numpy())
    return {name: (value, users[name]) for name, value in values.items()}


def sliced_metrics(
    project: Project,
    slices: pd.DataFrame,
    threshold: float = 0.5,
    probabilities: frozenset[str] = frozenset(),
) -> pd.DataFrame:
    """Classification and regression metrics per slice, by sklearn, from the warehouse's
    scored rows (classification_rows) and prediction pairs (regression_pairs)."""
    out = []
    rows = frame(project, "select candidate, user_id, score, is_relevant::int as y from classification_rows")
    for (candidate, name, value), group in rows.merge(slices, on="user_id").groupby(
        ["candidate", "slice", "slice_value"]
    ):
        for metric, (v, n) in classification_values(group, threshold, candidate in probabilities).items():
            out.append((candidate, name, value, metric, v, n))
    pairs = frame(project, "select * from regression_pairs")
    labels = frame(project, "select user_id from labels").merge(slices, on="user_id")
    n_labels = labels.groupby(["slice", "slice_value"]).size()
    for (candidate, name, value), group in pairs.merge(slices, on="user_id").groupby(
        ["candidate", "slice", "slice_value"]
    ):
        for metric, (v, n) in regression_values(group, n_labels[(name, value)]).items():
            out.append((candidate, name, value, metric, v, n))
    return pd.DataFrame(
        out, columns=["candidate", "slice", "slice_value", "metric", "value", "n_users"]
    ).assign(k=np.nan)


def by_slice(project: Project, metrics: tuple[str, ...]) -> pd.DataFrame:
    names = ", ".join(f"'{m}'" for m in metrics)
    return frame(project, f"select * from metrics_by_slice where metric in ({names})")


def assert_slice_rows(expected: pd.DataFrame, actual: pd.DataFrame) -> None:
    """value (to 1e-9, relative above 1) and n_users, key by key."""
    for column in ("value", "n_users"):
        assert_frames_close(expected, actual, keys=SLICE_KEYS, value=column)


# --- (a) the demo -------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_slices(demo: tuple[Project, Any]) -> pd.DataFrame:
    project, _ = demo
    labels = frame(project, "select distinct user_id from labels")["user_id"].tolist()
    train = frame(project, "select user_id, item_id, rating, ts from train")
    cutoff = frame(project, "select cutoff from split_cutoff")["cutoff"].iloc[0]
    return expected_slices(labels, train, pd.Timestamp(cutoff))


def test_demo_user_slices_follow_their_definitions(
    demo: tuple[Project, Any], demo_slices: pd.DataFrame
) -> None:
    project, result = demo
    assert result.success
    assert_same_slices(project, demo_slices)
    values = demo_slices.groupby("slice")["slice_value"].apply(set).to_dict()
    assert values["activity"] == {"cold", "q1", "q2", "q3"} and values["tenure"] == {"new", "returning"}
    assert values["rating_style"] == {"cold", "harsh", "neutral", "generous"}


def test_demo_per_user_metrics_by_slice_are_groupby_means(
    demo: tuple[Project, Any], demo_slices: pd.DataFrame
) -> None:
    project, _ = demo
    per_user = frame(project, "select * from user_metrics")
    names = set(per_user["metric"])
    if (
        "user_beyond_metrics"
        in frame(project, "select table_name from information_schema.tables")["table_name"].values
    ):
        beyond = frame(project, "select * from user_beyond_metrics where metric <> 'novelty'")
        per_user = pd.concat([per_user, beyond], ignore_index=True)
        names |= set(beyond["metric"])
    expected = per_user_means(per_user, demo_slices)
    assert_slice_rows(expected, by_slice(project, tuple(names)))


def test_demo_classification_and_regression_by_slice_equal_sklearn(
    demo: tuple[Project, Any],
    demo_slices: pd.DataFrame,
) -> None:
    project, _ = demo
    expected = sliced_metrics(project, demo_slices)
    assert {"bias", "popular"} <= set(expected["candidate"])
    assert_slice_rows(expected, by_slice(project, CLASSIFICATION + REGRESSION))


def test_demo_beyond_accuracy_by_slice_follows_the_formulas(
    demo: tuple[Project, Any], demo_slices: pd.DataFrame
) -> None:
    project, _ = demo
    actual = by_slice(project, ("user_coverage", "catalog_coverage", "novelty"))
    assert not actual.empty  # the demo slices its beyond-accuracy metrics (var slice_metrics)
    recs = frame(
        project,
        "select candidate, user_id, item_id, rank from recs where user_id in (select user_id from labels)",
    )
    train = frame(project, "select user_id, item_id from train")
    counts, n_train_items = train.groupby("item_id").size(), train["item_id"].nunique()
    slice_sizes = demo_slices.groupby(["slice", "slice_value"]).size()
    rows = []
    for k in frame(project, "select distinct k from metrics_by_slice where k is not null")["k"]:
        top = recs[recs["rank"] <= k].merge(demo_slices, on="user_id")
        top = top.assign(
            novelty=-np.log2(top["item_id"].map(counts).fillna(0) / len(train)).replace(np.inf, 0)
        )
        for (candidate, name, value), group in top.groupby(["candidate", "slice", "slice_value"]):
            n = group["user_id"].nunique()
            rows += [
                (
                    candidate,
                    name,
                    value,
                    "user_coverage",
                    k,
                    n / slice_sizes[(name, value)],
                    slice_sizes[(name, value)],
                ),
                (
                    candidate,
                    name,
                    value,
                    "catalog_coverage",
                    k,
                    group["item_id"].nunique() / n_train_items,
                    n,
                ),
                (candidate, name, value, "novelty", k, group["novelty"].mean(), n),
            ]
    assert_slice_rows(pd.DataFrame(rows, columns=[*SLICE_KEYS[:4], "k", "value", "n_users"]), actual)


def test_demo_slices_partition_the_users(demo: tuple[Project, Any]) -> None:
    project, _ = demo
    rows = frame(project, "select * from metrics_by_slice where metric = 'ndcg' and k = 10")
    overall = frame(project, "select candidate, value, n_users from metrics where metric = 'ndcg' and k = 10")
    for (candidate, _), group in rows.groupby(["candidate", "slice"]):
        total = overall.set_index("candidate").loc[candidate]
        assert group["n_users"].sum() == total["n_users"]
        assert (group["value"] * group["n_users"]).sum() / group["n_users"].sum() == pytest.approx(
            total["value"], abs=1e-12
        )


# --- (b) own files: train, labels, scores, predictions and a user attributes file ---


def own_files(rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    users = [f"u{n}" for n in range(24)] + ["ユーザー", "usér"]
    items = [f"i{n}" for n in range(30)]
    start = pd.Timestamp("2021-01-01")
    train_rows = []
    for index, user in enumerate(users[:-3]):  # the last three users are cold
        days = rng.integers(0, 90, size=int(rng.integers(1, 12)))
        for day in days:
            rating = math.nan if index % 5 == 0 else float(rng.integers(1, 11)) / 2
            train_rows.append((user, str(rng.choice(items)), rating, start + pd.Timedelta(days=int(day))))
    train = pd.DataFrame(train_rows, columns=["user_id", "item_id", "rating", "ts"])
    label_rows = [
        (u, str(i), float(rng.integers(0, 6)), start + pd.Timedelta(days=int(100 + rng.integers(0, 10))))
        for u in users
        for i in rng.choice(items, 4, replace=False)
    ]
    labels = pd.DataFrame(label_rows, columns=["user_id", "item_id", "relevance", "ts"])
    labels.loc[labels["user_id"] == "u3", "relevance"] = 1.0  # a user without a relevant label
    recs = pd.DataFrame(
        [
            (u, str(i), rank, float(rng.choice([0.1, 0.3, 0.5, 0.7, 0.9])))
            for u in users
            for rank, i in enumerate(rng.choice(items, 8, replace=False), start=1)
        ],
        columns=["user_id", "item_id", "rank", "score"],
    )
    predictions = labels[["user_id", "item_id"]].assign(prediction=rng.normal(2.5, 1.2, len(labels)))
    in_file = [*users, "not_in_labels"]  # a null value reads like a user missing from the file
    attributes = pd.DataFrame(
        {
            "user_id": in_file,
            "platform": [None if n == 5 else ["ios", "android", "网页"][n % 3] for n in range(len(in_file))],
            "age": pd.array([None if n % 7 == 0 else 18 + n for n in range(len(in_file))], dtype="Int64"),
            "everyone": "all",
        }
    )
    return {
        "train": train,
        "labels": labels,
        "recs": recs,
        "predictions": predictions,
        "attributes": attributes,
    }


def configure(root: Path, files: dict[str, pd.DataFrame], variables: dict[str, Any]) -> Project:
    inputs = root / "inputs"
    inputs.mkdir(exist_ok=True)
    for name, table in files.items():
        write_table(table, inputs / (f"{name}.csv" if name == "attributes" else f"{name}.parquet"))

    def point_at_files(config: dict) -> None:
        config["evaluation"] = {
            "train": "inputs/train.parquet",
            "labels": "inputs/labels.parquet",
            "candidates": {"scored": {"path": "inputs/recs.parquet", "probabilities": True}},
            "predictions": {"guess": "inputs/predictions.parquet"},
            "user_attributes": "inputs/attributes.csv",
            "baselines": ["popular", "bias"],
        }
        config["vars"].update({"k_values": [3, 5], "rel_threshold": 2.0, **variables})

    write_project_yml(root, point_at_files)
    return Project.load(root)


VARIABLES = {"count_users_without_relevant": True, "new_user_days": 45, "activity_buckets": 4}


@pytest.fixture(scope="module")
def own(tiny_template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("slices") / "project"
    shutil.copytree(tiny_template, root)
    files = own_files(np.random.default_rng(SEED))
    project = configure(root, files, VARIABLES)
    result = project.build(RunOptions(select=["+metrics_by_slice", "+metrics"], report=False, mlflow=False))
    assert result.success, [(r.name, r.message) for r in result.results if r.status in ("error", "fail")]
    labels = files["labels"]
    slices = expected_slices(
        labels["user_id"].tolist(),
        files["train"],
        labels["ts"].min(),
        new_user_days=45,
        activity_buckets=4,
        attributes=files["attributes"],
    )
    return {"project": project, "files": files, "slices": slices}


def test_own_files_slices_use_the_earliest_label_time_and_the_attributes(own: dict[str, Any]) -> None:
    project, slices = own["project"], own["slices"]
    assert_same_slices(project, slices)
    values = slices.groupby("slice")["slice_value"].apply(set).to_dict()
    assert {"platform", "age", "everyone"} <= set(values)
    assert "(missing)" in values["age"] and "(missing)" in values["platform"]
    assert (
        "cold" in values["activity"]
        and "unrated" in values["rating_style"]
        and "returning" in values["tenure"]
    )
    assert "网页" in values["platform"]


def test_own_files_metrics_by_slice_equal_the_oracles(own: dict[str, Any]) -> None:
    project, slices = own["project"], own["slices"]
    label_users = frame(project, "select user_id, n_relevant from label_users")
    without = label_users.loc[label_users["n_relevant"] == 0, ["user_id"]].merge(slices, on="user_id")
    assert len(without) > 0
    zero_users = without.groupby(["slice", "slice_value"]).size()
    ranking = frame(project, "select * from user_metrics")
    expected = per_user_means(ranking, slices, zero_users)
    assert_slice_rows(expected, by_slice(project, tuple(set(ranking["metric"]))))
    expected = sliced_metrics(project, slices, probabilities=frozenset({"scored"}))
    assert {"log_loss", "gauc", "mape"} <= set(expected["metric"])
    assert_slice_rows(expected, by_slice(project, CLASSIFICATION + REGRESSION))


def test_a_slice_of_every_user_equals_the_metrics(own: dict[str, Any]) -> None:
    project = own["project"]
    everyone = frame(project, "select * from metrics_by_slice where slice = 'everyone'")
    metrics = frame(project, "select * from metrics")
    assert (everyone["slice_value"] == "all").all()
    expected = metrics.merge(everyone[["candidate", "metric"]].drop_duplicates(), on=["candidate", "metric"])
    assert set(CLASSIFICATION + REGRESSION) <= set(expected["metric"])
    assert {"ndcg", "recall", "precision"} <= set(expected["metric"])
    # the labels' zero ratings are left out of mape and counted (no mape of ~1e15)
    left_out = expected[expected["metric"] == "mape_zero_actual_pairs"]
    assert set(left_out["candidate"]) == {"bias", "guess"} and (left_out["value"] > 0).all()
    assert (expected.loc[expected["metric"] == "mape", "value"] < 100).all()
    for column in ("value", "n_users"):
        assert_frames_close(expected, everyone, keys=["candidate", "metric", "k"], value=column)


def test_a_user_twice_in_the_attributes_file_fails_the_slices(tiny: Path) -> None:
    files = own_files(np.random.default_rng(SEED))
    files["attributes"] = pd.concat([files["attributes"], files["attributes"].head(2)])
    project = configure(tiny, files, {})
    result = project.build(RunOptions(select=["+user_slices"], report=False, mlflow=False))
    test = statuses(result)["user_slices_unique_per_user_slice"]
    # u0 and u1 twice: a row too many in each column with a value (u0's age is null)
    assert not result.success and test.status == "fail" and test.failures == 2 * 3 - 1
    assert statuses(result)["not_null_user_slices_slice_value"].status == "pass"
