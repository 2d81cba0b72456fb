"""The regression metrics (models/regression) equal scikit-learn to 1e-9 (relative to the
value above 1, tests/oracles/compare.py).

The oracle starts from the raw inputs: the prediction files and the bias baseline (fitted
here in plain pandas by the formulas of models/regression/bias_baseline.sql), a pair's
duplicated predictions averaged, NaN dropped, only the (user, item) pairs in labels
(labels de-duplicated to their highest relevance). Then sklearn's mean_absolute_error,
mean_squared_error, root_mean_squared_error, r2_score (nan below two pairs) and, by the
documented rule (docs/evaluation.md), mean_absolute_percentage_error over the pairs with a
non-zero rating only (nan when there is none; sklearn alone floors |y| at machine epsilon,
so a zero rating would give ~1e15), mape_zero_actual_pairs = the pairs it leaves out, and
prediction_coverage = predicted label pairs / label pairs. n_users is the users with a
pair, with a non-zero rating for mape.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from evaluation_project import frame, write_project_yml, write_table
from oracles.prediction import REGRESSION_METRICS, regression_users
from oracles.prediction import sklearn_regression as regression_values
from sklearn.metrics import mean_absolute_percentage_error as sk_mape

from evalhouse import Project, RunOptions
from evalhouse.errors import EvalhouseError

try:  # tests/ is not a package: importable as "tests.oracles" or as "oracles"
    from tests.oracles import assert_close, assert_frames_close
except ModuleNotFoundError:
    from oracles import assert_close, assert_frames_close

KEYS = ["candidate", "metric"]
SEED = 7


# --- the oracle ---------------------------------------------------------------------


def bias_predictions(
    train: pd.DataFrame, labels: pd.DataFrame, item_damping: float = 25, user_damping: float = 10
) -> pd.DataFrame:
    """mu + b_user + b_item: b_item = sum(r - mu) / (n_item + item_damping), then
    b_user = sum(r - mu - b_item) / (n_user + user_damping); 0 for the unseen."""
    rated = train.dropna(subset=["rating"])
    mu = rated["rating"].mean()
    by_item = (rated["rating"] - mu).groupby(rated["item_id"])
    b_item = by_item.sum() / (by_item.size() + item_damping)
    residual = rated["rating"] - mu - rated["item_id"].map(b_item)
    by_user = residual.groupby(rated["user_id"])
    b_user = by_user.sum() / (by_user.size() + user_damping)
    pairs = labels[["user_id", "item_id"]].drop_duplicates()
    prediction = mu + pairs["user_id"].map(b_user).fillna(0) + pairs["item_id"].map(b_item).fillna(0)
    return pairs.assign(candidate="bias", prediction=prediction)


def sklearn_regression(predictions: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """(candidate, metric, value, n_users) from every prediction row (candidate, user_id,
    item_id, prediction) against the labels."""
    truth = labels.groupby(["user_id", "item_id"], as_index=False)["relevance"].max()
    known = predictions.dropna(subset=["prediction"])
    averaged = known.groupby(["candidate", "user_id", "item_id"], as_index=False)["prediction"].mean()
    pairs = averaged.merge(truth, on=["user_id", "item_id"])
    out = []
    for candidate, group in pairs.groupby("candidate"):
        y, p = group["relevance"].to_numpy(float), group["prediction"].to_numpy(float)
        values = regression_values(y, p, len(truth))
        n_users = regression_users(y, group["user_id"].to_numpy())
        out += [
            {"candidate": candidate, "metric": m, "value": v, "n_users": n_users[m]}
            for m, v in values.items()
        ]
    return pd.DataFrame(out)


def regression_rows(project: Project) -> pd.DataFrame:
    names = ", ".join(f"'{m}'" for m in REGRESSION_METRICS)
    return frame(project, f"select * from metrics where metric in ({names})")


def assert_regression_rows(expected: pd.DataFrame, actual: pd.DataFrame) -> None:
    """value (to 1e-9, relative above 1) and n_users, key by key."""
    for column in ("value", "n_users"):
        assert_frames_close(expected, actual, keys=KEYS, value=column)


# --- (a) the demo: the bias baseline ------------------------------------------------


def test_demo_bias_baseline_equals_its_formula_and_sklearn(demo: tuple[Project, Any]) -> None:
    project, result = demo
    assert result.success
    train = frame(project, "select user_id, item_id, rating from train")
    labels = frame(project, "select user_id, item_id, relevance from labels")
    expected_predictions = bias_predictions(train, labels)
    predictions = frame(project, "select * from predictions")
    assert set(predictions["candidate"]) == {"bias"} and len(predictions) == len(labels)
    merged = expected_predictions.merge(predictions, on=["candidate", "user_id", "item_id"])
    assert len(merged) == len(labels)
    assert_close(merged["prediction_x"], merged["prediction_y"], what="bias predictions")
    expected = sklearn_regression(expected_predictions, labels)
    assert_regression_rows(expected, regression_rows(project))


def test_demo_regression_metrics_have_no_k_and_reach_the_leaderboard(demo: tuple[Project, Any]) -> None:
    project, _ = demo
    rows = regression_rows(project)
    assert rows["k"].isna().all() and set(rows["candidate"]) == {"bias"}
    board = frame(project, "select * from leaderboard").set_index("candidate")
    assert board.loc["bias", "rmse"] == rows.set_index("metric").loc["rmse", "value"]
    assert 0 < board.loc["bias", "rmse"] < 1.2  # well under the rating scale's spread


# --- (b) adversarial files ----------------------------------------------------------


def configure(
    root: Path,
    labels: pd.DataFrame,
    predictions: dict[str, pd.DataFrame],
    train: pd.DataFrame | None = None,
    variables: dict[str, Any] | None = None,
    fmt: str = "parquet",
) -> Project:
    """Labels, prediction files, a one-row candidate file (the ranking side needs one) and,
    with `train`, the bias baseline fitted on it."""
    inputs = root / "inputs"
    inputs.mkdir(exist_ok=True)
    write_table(labels, inputs / f"labels.{fmt}")
    first = labels.iloc[0]
    write_table(
        pd.DataFrame({"user_id": [first["user_id"]], "item_id": [first["item_id"]], "rank": [1]}),
        inputs / f"recs.{fmt}",
    )
    files = {}
    for index, (name, rows) in enumerate(predictions.items()):
        files[name] = f"inputs/predictions_{index}.{fmt}"
        write_table(rows, root / files[name])
    evaluation: dict[str, Any] = {
        "labels": f"inputs/labels.{fmt}",
        "candidates": {"one": f"inputs/recs.{fmt}"},
        "predictions": files,
        "baselines": [],
    }
    if train is not None:
        write_table(train, inputs / f"train.{fmt}")
        evaluation.update(train=f"inputs/train.{fmt}", baselines=["bias"])

    def point_at_files(config: dict) -> None:
        config["evaluation"] = evaluation
        config["vars"].update({"k_values": [1, 3], "rel_threshold": 1.0, **(variables or {})})

    write_project_yml(root, point_at_files)
    return Project.load(root)


def run(project: Project) -> Any:
    result = project.build(RunOptions(select=["+metrics", "+predictions"], report=False, mlflow=False))
    assert result.success, [(r.name, r.message) for r in result.results if r.status in ("error", "fail")]
    return result


def predictions_frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["user_id", "item_id", "prediction"])


def adversarial_labels(rng: np.random.Generator) -> pd.DataFrame:
    """Non-ASCII ids, half-star ratings with zeros (MAPE), a duplicated label."""
    users = ["usér_ñ", "ユーザー", "用户", "plain", "ü"]
    items = [f"é{n}" for n in range(12)]
    rows = [
        (u, i, float(rng.choice([0.0, 0.5, 1.0, 3.5, 5.0])), pd.Timestamp("2020-03-01"))
        for u in users
        for i in rng.choice(items, 5, replace=False)
    ]
    labels = pd.DataFrame(rows, columns=["user_id", "item_id", "relevance", "ts"])
    return pd.concat([labels, labels.head(1).assign(relevance=4.0)], ignore_index=True)


def train_and_labels(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ratings to fit the bias baseline on (some unrated), and labels of those users plus a
    newcomer and an item unseen in train."""
    users, items = [f"u{n}" for n in range(15)], [f"i{n}" for n in range(20)]
    pairs = [(u, i) for u in users for i in rng.choice(items, 6, replace=False)]
    train = pd.DataFrame(
        [
            (u, i, float(rng.integers(1, 11)) / 2, pd.Timestamp("2020-01-01") + pd.Timedelta(days=d))
            for d, (u, i) in enumerate(pairs)
        ],
        columns=["user_id", "item_id", "rating", "ts"],
    )
    train.loc[::7, "rating"] = math.nan  # unrated rows are left out of the fit
    labels = pd.DataFrame(
        [
            (u, i, float(rng.integers(1, 11)) / 2, pd.Timestamp("2020-03-01"))
            for u in [*users, "newcomer"]
            for i in rng.choice([*items, "new_item"], 3, replace=False)
        ],
        columns=["user_id", "item_id", "relevance", "ts"],
    )
    return train, labels


def prediction_files(rng: np.random.Generator, labels: pd.DataFrame) -> dict[str, pd.DataFrame]:
    pairs = labels[["user_id", "item_id"]].drop_duplicates()
    exact = predictions_frame(list(labels[["user_id", "item_id", "relevance"]].itertuples(index=False)))
    noisy = predictions_frame([(u, i, float(rng.normal(2.5, 1.5))) for u, i in pairs.itertuples(index=False)])
    noisy = pd.concat(
        [
            noisy.iloc[: len(noisy) - 4],  # four label pairs without a prediction: coverage < 1
            noisy.head(3).assign(prediction=lambda f: f["prediction"] + 1),  # duplicated pairs: averaged
            predictions_frame(
                [("stranger", "é1", 3.0), ("plain", "not-a-label", 1.0)]
            ),  # not in labels: ignored
            predictions_frame([(noisy.iloc[-1, 0], noisy.iloc[-1, 1], math.nan)]),  # NaN: missing
        ],
        ignore_index=True,
    )
    single = predictions_frame([(*pairs.iloc[1], 2.0)])  # one pair: r2 undefined
    middle = labels.iloc[1:-1]  # not the duplicated label
    constant = middle[middle["relevance"] == middle["relevance"].iloc[0]].head(3)[["user_id", "item_id"]]
    flat = constant.assign(
        prediction=float(middle["relevance"].iloc[0])
    )  # constant ratings predicted exactly
    return {"exact": exact, "noisy": noisy, "single": single, "flat": flat}


@pytest.fixture(scope="module")
def adversarial(tiny_template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One project: adversarial labels and prediction files, and an own train the bias
    baseline is fitted on, built once."""
    rng = np.random.default_rng(SEED)
    odd_labels = adversarial_labels(rng)
    train, bias_labels = train_and_labels(rng)
    labels = pd.concat([odd_labels, bias_labels], ignore_index=True)
    files = prediction_files(rng, odd_labels)
    root = tmp_path_factory.mktemp("regression") / "project"
    shutil.copytree(tiny_template, root)
    project = configure(root, labels, files, train=train)
    run(project)
    return {"project": project, "labels": labels, "train": train, "files": files}


def test_adversarial_predictions_equal_sklearn(adversarial: dict[str, Any]) -> None:
    project, labels, train, files = (adversarial[k] for k in ("project", "labels", "train", "files"))
    all_predictions = pd.concat(
        [bias_predictions(train, labels), *(f.assign(candidate=n) for n, f in files.items())]
    )
    expected = sklearn_regression(all_predictions, labels)
    actual = regression_rows(project)
    assert_regression_rows(expected, actual)
    values = actual.set_index(KEYS)["value"]
    # the labels hold zero ratings: mape leaves them out and counts them, no ~1e15 any more
    assert values["noisy", "mape_zero_actual_pairs"] > 0 and values["exact", "mape_zero_actual_pairs"] > 0
    assert 0 < values["noisy", "mape"] < 100
    assert math.isnan(values["single", "r2"]) and values["flat", "r2"] == 1.0
    assert values["noisy", "prediction_coverage"] < 1
    assert values["bias", "prediction_coverage"] == 1.0  # the baseline predicts every label


def test_mape_leaves_zero_ratings_out_and_counts_them(tiny: Path) -> None:
    """Zero ratings (0.0 and -0.0) in three candidates: some zero, all zero, none zero.
    mape runs over the non-zero ratings only (a negative one by its absolute value), is null
    when every rating is 0, and mape_zero_actual_pairs (and regression_sums) count the pairs
    left out; sklearn on every pair would give ~1e15, the old rule."""
    ts = pd.Timestamp("2020-03-01")
    ratings = {("a", "x"): 0.0, ("a", "y"): 2.0, ("b", "x"): 4.0, ("b", "y"): -0.0, ("c", "x"): 5.0,
               ("c", "z"): -2.0, ("d", "x"): 0.0}
    labels = pd.DataFrame([(u, i, r, ts) for (u, i), r in ratings.items()],
                          columns=["user_id", "item_id", "relevance", "ts"])
    some_zero = predictions_frame([("a", "x", 1.0), ("a", "y", 1.0), ("b", "x", 5.0), ("b", "y", 0.0),
                                   ("c", "x", 5.0), ("c", "z", -1.0), ("d", "x", 3.0)])
    all_zero = predictions_frame([("a", "x", 1.0), ("b", "y", 0.5), ("d", "x", 0.0)])
    none_zero = predictions_frame([("a", "y", 3.0), ("c", "z", 1.0)])
    files = {"some_zero": some_zero, "all_zero": all_zero, "none_zero": none_zero}
    project = configure(tiny, labels, files)
    result = project.build(
        RunOptions(select=["+metrics", "+leaderboard", "+metrics_by_slice"], report=False, mlflow=False)
    )
    assert result.success, [(r.name, r.message) for r in result.results if r.status in ("error", "fail")]
    actual = regression_rows(project)
    assert_regression_rows(
        sklearn_regression(pd.concat([f.assign(candidate=n) for n, f in files.items()]), labels), actual
    )
    rows = actual.set_index(KEYS)
    # some zero: |2-1|/2, |4-5|/4, |5-5|/5, |-2-(-1)|/2 over 4 pairs; a, b, c have a non-zero rating
    assert rows.loc[("some_zero", "mape"), "value"] == pytest.approx((0.5 + 0.25 + 0 + 0.5) / 4, rel=1e-12)
    assert rows.loc[("some_zero", "mape"), "n_users"] == 3
    assert rows.loc[("some_zero", "mape_zero_actual_pairs"), "value"] == 3
    assert rows.loc[("some_zero", "mape_zero_actual_pairs"), "n_users"] == 4
    # all zero: null, over no user; the three pairs are counted
    assert math.isnan(rows.loc[("all_zero", "mape"), "value"])
    assert rows.loc[("all_zero", "mape"), "n_users"] == 0
    assert rows.loc[("all_zero", "mape_zero_actual_pairs"), "value"] == 3
    assert rows.loc[("all_zero", "mae"), "value"] == pytest.approx(0.5, rel=1e-12)  # the others are unchanged
    # none zero: sklearn's own value, nothing left out
    y, p = np.array([2.0, -2.0]), np.array([3.0, 1.0])
    assert rows.loc[("none_zero", "mape"), "value"] == pytest.approx(sk_mape(y, p), rel=1e-12)
    assert rows.loc[("none_zero", "mape_zero_actual_pairs"), "value"] == 0
    # the old rule, sklearn's on every pair, for the record
    y = np.array([ratings[u, i] for u, i in zip(some_zero["user_id"], some_zero["item_id"], strict=True)])
    assert sk_mape(y, some_zero["prediction"].to_numpy()) > 1e14
    sums = frame(project, "select * from regression_sums").set_index("candidate")
    columns = ["n_pairs", "n_pairs_zero_actual", "n_users", "n_users_nonzero_actual"]
    assert sums.loc["some_zero", columns].tolist() == [7, 3, 4, 3]
    assert sums.loc["all_zero", columns].tolist() == [3, 3, 3, 0]
    assert sums.loc["none_zero", columns].tolist() == [2, 0, 2, 2]
    board = list(frame(project, "select * from leaderboard").columns)
    assert board[board.index("mape") + 1] == "mape_zero_actual_pairs"  # the count sits beside mape
    # by slice the same rule: the slices of one kind split the count, all_zero's mape is null in each
    sliced = frame(project, "select * from metrics_by_slice where metric like 'mape%'")
    counts = sliced[sliced["metric"] == "mape_zero_actual_pairs"].groupby(["candidate", "slice"])["value"].sum()
    assert set(counts.to_dict().values()) == {0, 3} and (counts["all_zero"] == 3).all()
    assert sliced[(sliced["candidate"] == "all_zero") & (sliced["metric"] == "mape")]["value"].isna().all()


def test_bias_baseline_predicts_every_label_by_its_formula(adversarial: dict[str, Any]) -> None:
    project, labels, train = adversarial["project"], adversarial["labels"], adversarial["train"]
    expected = bias_predictions(train, labels)
    actual = frame(project, "select * from predictions where candidate = 'bias'")
    merged = expected.merge(actual, on=["candidate", "user_id", "item_id"])
    assert len(merged) == len(expected) == len(actual)
    assert_close(merged["prediction_x"], merged["prediction_y"], what="bias predictions")


def test_bias_damping_vars_change_the_fit(adversarial: dict[str, Any]) -> None:
    project, labels, train = adversarial["project"], adversarial["labels"], adversarial["train"]
    project = Project.load(project.dir, vars={"bias_item_damping": 0, "bias_user_damping": 2.5})
    result = project.build(RunOptions(select=["bias_baseline", "predictions"], report=False, mlflow=False))
    assert result.success
    expected = bias_predictions(train, labels, item_damping=0, user_damping=2.5)
    merged = expected.merge(
        frame(project, "select * from predictions where candidate = 'bias'"),
        on=["candidate", "user_id", "item_id"],
    )
    assert len(merged) == len(expected)
    assert_close(merged["prediction_x"], merged["prediction_y"], what="bias predictions")


def test_baselines_without_bias_turn_the_rating_baseline_off(tiny: Path) -> None:
    labels = pd.DataFrame({"user_id": ["a"], "item_id": ["x"], "relevance": [4.0], "ts": [1]})
    project = configure(tiny, labels, {"mine": predictions_frame([("a", "x", 3.0)])})
    assert "bias_baseline" not in {node.name for node in project.list()}
    project = configure(
        tiny,
        labels,
        {"bias": predictions_frame([("a", "x", 3.0)])},
        train=labels.rename(columns={"relevance": "rating"}),
    )
    with pytest.raises(EvalhouseError, match="built-in rating baseline"):
        project.compile(write=False)
