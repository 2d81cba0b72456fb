"""The classification metrics (models/classification) equal scikit-learn to 1e-9.

The oracle starts from the raw inputs, not from the warehouse's intermediate tables: the
recommendations (normalized by tests/oracles: duplicates keep their best rank, score-only
lists ranked by score), cut at max(k_values), with a score, of users in labels; the class
is "the item is a relevant label". Then sklearn's roc_auc_score, average_precision_score,
auc(recall, precision) over precision_recall_curve, log_loss (on scores clipped to
[1e-15, 1 - 1e-15] first: sklearn itself clips at machine epsilon), accuracy / precision /
recall / f1 (zero_division=0) and confusion_matrix at the threshold, GAUC as a plain loop
over users with sklearn per user, and the curve points of roc_curve (its default
drop_intermediate=True) and precision_recall_curve, point for point, sklearn's infinite
first ROC threshold standing for the table's null.

(a) The demo, built once per session. (b) Adversarial files in a tiny project.
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
from evaluation_project import frame, write_project_yml, write_table
from oracles.prediction import CLASSIFICATION_METRICS
from sklearn import metrics as sk

from evalhouse import Project, RunOptions

try:  # tests/ is not a package: importable as "tests.oracles" or as "oracles"
    from tests.oracles import ADVERSARIAL_CASES, assert_frames_close, case_settings, normalize_recs
except ModuleNotFoundError:
    from oracles import ADVERSARIAL_CASES, assert_frames_close, case_settings, normalize_recs

DEMO_K_MAX = 100
DEMO_THRESHOLD = 4.0
EPS = 1e-15
KEYS = ["candidate", "metric"]
SEED = 7
SELECT = ["+roc_curve", "+pr_curve", "+confusion_matrix", "+metrics", "+leaderboard"]


# --- the oracle ---------------------------------------------------------------------


def scored_rows(recs: pd.DataFrame, labels: pd.DataFrame, k_max: int, rel_threshold: float) -> pd.DataFrame:
    """(candidate, user_id, score, y): the rows classification scores, from the raw inputs."""
    ranked = normalize_recs(recs)
    if "score" not in ranked.columns:
        return pd.DataFrame(columns=["candidate", "user_id", "score", "y"])
    relevance = labels.groupby(["user_id", "item_id"])["relevance"].max().to_dict()
    label_users = set(labels["user_id"])
    keep = (
        (ranked["rank"] <= k_max) & ranked["score"].notna() & ranked["user_id"].map(label_users.__contains__)
    )
    rows = ranked[keep].copy()
    rows["y"] = [
        int(relevance.get((u, i), -math.inf) >= rel_threshold)
        for u, i in zip(rows["user_id"], rows["item_id"], strict=True)
    ]
    return rows[["candidate", "user_id", "score", "y"]].reset_index(drop=True)


def sklearn_metrics(rows: pd.DataFrame, threshold: float, probabilities: set[str]) -> pd.DataFrame:
    """(candidate, metric, value, n_users) for every classification metric, by sklearn."""
    out = []
    for candidate, group in rows.groupby("candidate"):
        y, s = group["y"].to_numpy(), group["score"].to_numpy(dtype=float)
        n_users = group["user_id"].nunique()
        both = 0 < y.sum() < len(y)
        predicted = (s >= threshold).astype(int)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # undefined metrics: sklearn warns, the oracle decides below
            values = {
                "roc_auc": sk.roc_auc_score(y, s) if both else math.nan,
                "average_precision": sk.average_precision_score(y, s),
                "pr_auc": sk.auc(*sk.precision_recall_curve(y, s)[1::-1]) if y.sum() > 0 else math.nan,
                "accuracy_at_threshold": sk.accuracy_score(y, predicted),
                "precision_at_threshold": sk.precision_score(y, predicted, zero_division=0),
                "recall_at_threshold": sk.recall_score(y, predicted, zero_division=0),
                "f1_at_threshold": sk.f1_score(y, predicted, zero_division=0),
            }
            if candidate in probabilities:
                values["log_loss"] = sk.log_loss(y, np.clip(s, EPS, 1 - EPS), labels=[0, 1])
        out += [
            {"candidate": candidate, "metric": m, "value": v, "n_users": n_users} for m, v in values.items()
        ]
        weighted, weights, users = 0.0, 0, 0
        for _, user_rows in group.groupby("user_id"):
            yu = user_rows["y"].to_numpy()
            if 0 < yu.sum() < len(yu):
                weighted += yu.sum() * sk.roc_auc_score(yu, user_rows["score"].to_numpy(dtype=float))
                weights += yu.sum()
                users += 1
        if users:
            out.append(
                {"candidate": candidate, "metric": "gauc", "value": weighted / weights, "n_users": users}
            )
    return pd.DataFrame(out, columns=["candidate", "metric", "value", "n_users"])


def sklearn_curves(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ROC and PR curve points, numbered in sklearn's order."""
    roc, pr = [], []
    for candidate, group in rows.groupby("candidate"):
        y, s = group["y"].to_numpy(), group["score"].to_numpy(dtype=float)
        if 0 < y.sum() < len(y):
            fpr, tpr, thresholds = sk.roc_curve(y, s)
            thresholds = np.where(np.isinf(thresholds), np.nan, thresholds)  # the table's null
            roc += [
                {"candidate": candidate, "point": i, "fpr": a, "tpr": b, "threshold": t}
                for i, (a, b, t) in enumerate(zip(fpr, tpr, thresholds, strict=True))
            ]
        if y.sum() > 0:
            precision, recall, thresholds = sk.precision_recall_curve(y, s)
            thresholds = np.append(thresholds, np.nan)  # the last point (recall 0, precision 1)
            pr += [
                {"candidate": candidate, "point": i, "recall": r, "precision": p, "threshold": t}
                for i, (p, r, t) in enumerate(zip(precision, recall, thresholds, strict=True))
            ]
    return pd.DataFrame(roc), pd.DataFrame(pr)


def numbered(table: pd.DataFrame, ascending: bool) -> pd.DataFrame:
    """Curve rows numbered per candidate in sklearn's order (the null threshold at its end)."""
    order = table.sort_values(
        ["candidate", "threshold"],
        ascending=[True, ascending],
        na_position="first" if not ascending else "last",
    )
    return order.assign(point=order.groupby("candidate").cumcount())


def sklearn_confusion(rows: pd.DataFrame, threshold: float) -> pd.DataFrame:
    out = []
    for candidate, group in rows.groupby("candidate"):
        predicted = (group["score"].to_numpy(dtype=float) >= threshold).astype(int)
        tn, fp, fn, tp = sk.confusion_matrix(group["y"], predicted, labels=[0, 1]).ravel()
        out.append({"candidate": candidate, "tp": tp, "fp": fp, "tn": tn, "fn": fn})
    return pd.DataFrame(out)


def assert_curve_points(
    expected: pd.DataFrame, table: pd.DataFrame, columns: tuple[str, ...], max_points: int | None
) -> None:
    """A curve with at most max_points + 1 points point for point; a longer one thinned to
    about max_points of its own points, both ends kept (the null threshold and the lowest)."""
    keys = ["candidate", "point"]
    if expected.empty:
        assert table.empty
        return
    sizes = expected.groupby("candidate").size()
    short = sizes[sizes <= (max_points or math.inf) + 1].index
    for column in columns:
        assert_frames_close(
            expected[expected["candidate"].isin(short)],
            table[table["candidate"].isin(short)],
            keys=keys,
            value=column,
        )
    for candidate in sizes.index.difference(short):
        full = expected[expected["candidate"] == candidate].drop(columns="point")
        thinned = table[table["candidate"] == candidate].drop(columns="point")
        assert max_points * 0.8 <= len(thinned) <= max_points + 1
        kept = thinned.merge(full, how="left", on=["candidate", *columns], indicator=True)
        assert (kept["_merge"] == "both").all()  # exact: the same divisions of the same counts
        assert thinned["threshold"].isna().sum() == 1 and full["threshold"].min() in set(thinned["threshold"])


def assert_classification_equal(
    project: Project,
    rows: pd.DataFrame,
    threshold: float,
    probabilities: set[str] = frozenset(),
    max_points: int | None = 1000,
) -> pd.DataFrame:
    """Every classification row of `metrics`, both curves and the confusion matrix against sklearn."""
    expected = sklearn_metrics(rows, threshold, set(probabilities))
    names = ", ".join(f"'{m}'" for m in CLASSIFICATION_METRICS)
    actual = frame(project, f"select * from metrics where metric in ({names})")
    assert actual["k"].isna().all()
    for column in ("value", "n_users"):
        assert_frames_close(expected, actual, keys=KEYS, value=column)
    roc, pr = sklearn_curves(rows)
    assert_curve_points(
        roc,
        numbered(frame(project, "select * from roc_curve"), ascending=False),
        ("fpr", "tpr", "threshold"),
        max_points,
    )
    assert_curve_points(
        pr,
        numbered(frame(project, "select * from pr_curve"), ascending=True),
        ("recall", "precision", "threshold"),
        max_points,
    )
    assert_confusion_equal(project, rows, threshold)
    return actual


def assert_confusion_equal(project: Project, rows: pd.DataFrame, threshold: float) -> None:
    confusion = frame(project, "select * from confusion_matrix")
    assert (confusion["threshold"] == threshold).all()
    for column in ("tp", "fp", "tn", "fn"):
        assert_frames_close(sklearn_confusion(rows, threshold), confusion, keys=["candidate"], value=column)


# --- (a) the demo -------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_rows(demo: tuple[Project, Any]) -> pd.DataFrame:
    project, _ = demo
    recs = frame(project, "select candidate, user_id, item_id, rank, score from recs")
    labels = frame(project, "select user_id, item_id, relevance from labels")
    return scored_rows(recs, labels, DEMO_K_MAX, DEMO_THRESHOLD)


def test_demo_classification_equals_sklearn(demo: tuple[Project, Any], demo_rows: pd.DataFrame) -> None:
    project, result = demo
    assert result.success
    actual = assert_classification_equal(project, demo_rows, 0.5)
    # every baseline is scored; none declares probabilities, so no log_loss
    assert set(actual["candidate"]) == {"popular", "popular_recent", "item_cooccurrence", "random"}
    assert "log_loss" not in set(actual["metric"])


def test_demo_baseline_scores_are_not_probabilities(demo_rows: pd.DataFrame) -> None:
    # popularity counts: the 0.5 threshold predicts every popular item positive
    popular = demo_rows[demo_rows["candidate"] == "popular"]
    assert popular["score"].min() >= 1


def test_classification_metrics_reach_the_leaderboard_without_k(demo: tuple[Project, Any]) -> None:
    project, _ = demo
    board = frame(project, "select * from leaderboard").set_index("candidate")
    metrics = frame(project, "select candidate, metric, value from metrics where k is null")
    assert {"roc_auc", "gauc", "average_precision", "pr_auc"} <= set(board.columns)
    for row in metrics.itertuples():
        assert board.loc[row.candidate, row.metric] == pytest.approx(row.value, abs=0, nan_ok=True)


# --- (b) adversarial inputs ---------------------------------------------------------


def configure(
    root: Path,
    recs: pd.DataFrame,
    labels: pd.DataFrame,
    probabilities: set[str] = frozenset(),
    variables: dict[str, Any] | None = None,
    fmt: str = "parquet",
) -> Project:
    """Labels and one file per candidate (probabilities declared where asked), no baselines."""
    inputs = root / "inputs"
    inputs.mkdir(exist_ok=True)
    write_table(labels, inputs / f"labels.{fmt}")
    candidates: dict[str, Any] = {}
    for index, name in enumerate(sorted(recs["candidate"].unique(), key=str)):
        path = f"inputs/candidate_{index}.{fmt}"
        write_table(recs[recs["candidate"] == name].drop(columns="candidate"), root / path)
        candidates[name] = {"path": path, "probabilities": True} if name in probabilities else path

    def point_at_files(config: dict) -> None:
        config["evaluation"] = {"labels": f"inputs/labels.{fmt}", "candidates": candidates, "baselines": []}
        config["vars"].update({"k_values": [1, 3, 5, 10], "rel_threshold": 1.0, **(variables or {})})

    write_project_yml(root, point_at_files)
    return Project.load(root)


def run(project: Project) -> Any:
    return project.build(RunOptions(select=SELECT, report=False, mlflow=False))


def recs_frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["candidate", "user_id", "item_id", "rank", "score"])


def labels_frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["user_id", "item_id", "relevance", "ts"])


def one_class_candidates(seed: int) -> tuple[pd.DataFrame, pd.DataFrame, set[str]]:
    """'hits' recommends relevant items only, 'misses' none, 'mixed' both; 'ranks' has no score."""
    rng = np.random.default_rng(seed)
    users = [f"u{n}" for n in range(6)]
    labels = labels_frame([(u, f"i{j}", 1.0, j) for u in users for j in range(4)])
    rows = []
    for u in users:
        for rank, item in enumerate(rng.permutation(4), start=1):
            rows.append(("hits", u, f"i{item}", rank, float(rng.random())))
        for rank, item in enumerate(range(10, 14), start=1):
            rows.append(("misses", u, f"i{item}", rank, float(rng.random())))
        for rank, item in enumerate([0, 11, 2, 13], start=1):
            rows.append(("mixed", u, f"i{item}", rank, float(rng.choice([0.2, 0.4]))))
            rows.append(("ranks", u, f"i{item}", rank, None))
    return recs_frame(rows), labels, set()


def extreme_probabilities(seed: int) -> tuple[pd.DataFrame, pd.DataFrame, set[str]]:
    """Probabilities of exactly 0 and 1, right and wrong (log loss clips), ties, and a user
    who is only in recs (left out)."""
    rng = np.random.default_rng(seed)
    users = [f"ü{n}" for n in range(8)]
    labels = labels_frame([(u, f"é{j}", float(rng.integers(0, 3)), j) for u in users for j in range(5)])
    rows = []
    for name in ("sure", "calibrated"):
        for u in [*users, "nobody"]:
            for rank, item in enumerate(rng.permutation(8), start=1):
                score = (
                    float(rng.choice([0.0, 1.0]))
                    if name == "sure"
                    else float(rng.choice([0.0, 0.3, 0.7, 1.0]))
                )
                rows.append((name, u, f"é{item}", rank, score))
    return recs_frame(rows), labels, {"sure", "calibrated"}


def dense_scores(seed: int) -> tuple[pd.DataFrame, pd.DataFrame, set[str]]:
    """300 distinct scores: curves longer than curve_max_points get thinned."""
    rng = np.random.default_rng(seed)
    users = [f"u{n}" for n in range(30)]
    labels = labels_frame([(u, f"i{j}", 1.0, 0) for u in users for j in rng.choice(20, 5, replace=False)])
    recs = recs_frame(
        [
            ("dense", u, f"i{j}", rank, float(rng.random()))
            for u in users
            for rank, j in enumerate(rng.permutation(20)[:10], start=1)
        ]
    )
    return recs, labels, set()


def library_case(name: str, candidate: str) -> Any:
    """A case of tests/oracles, one of its candidates (each candidate file costs build time)."""

    def make(seed: int) -> tuple[pd.DataFrame, pd.DataFrame, set[str]]:
        recs, labels = ADVERSARIAL_CASES[name](seed)
        return recs[recs["candidate"] == candidate], labels, set()

    return make


def all_tied(seed: int) -> tuple[pd.DataFrame, pd.DataFrame, set[str]]:
    """Every score the same (one point per curve, AUC exactly one half); 'ghost' serves
    only users without labels (no classification row)."""
    recs, labels = ADVERSARIAL_CASES["multiple_candidates"](seed)
    return recs[recs["candidate"].isin(["full", "ghost"])].assign(score=0.5), labels, set()


CASES = {
    "one_class": one_class_candidates,
    "extreme": extreme_probabilities,
    "all_tied": all_tied,
    "dense": dense_scores,
    "duplicated_rows": library_case("duplicated_rows", "a"),
    "non_ascii_ids": library_case("non_ascii_ids", "ñ-model"),
    "kitchen_sink": library_case("kitchen_sink", "p"),
    "users_without_relevant": library_case("users_without_relevant", "c1"),
}
MAX_POINTS = 25


def combined_cases(seed: int) -> tuple[pd.DataFrame, pd.DataFrame, set[str]]:
    """Every case in one project: candidates and users prefixed with the case's name (so
    each case keeps its own users and labels), ids as text, relevance made 1 / 0 by the
    case's own threshold."""
    all_recs, all_labels, all_probabilities = [], [], set()
    for case, make in CASES.items():
        recs, labels, probabilities = make(seed)
        relevant = labels["relevance"] >= case_settings(case).rel_threshold
        labels = labels.assign(relevance=relevant.astype(float))
        for table in (recs, labels):
            table["user_id"] = f"{case}|" + table["user_id"].astype(str)
            table["item_id"] = table["item_id"].astype(str)
        all_recs.append(recs.assign(candidate=f"{case}|" + recs["candidate"].astype(str)))
        all_labels.append(labels)
        all_probabilities |= {f"{case}|{name}" for name in probabilities}
    return pd.concat(all_recs, ignore_index=True), pd.concat(all_labels, ignore_index=True), all_probabilities


@pytest.fixture(scope="module")
def adversarial(
    tiny_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Project, pd.DataFrame, set[str]]:
    """Every adversarial case as Parquet files,
    built once: (project, the oracle's scored rows, the probability candidates)."""
    root = tmp_path_factory.mktemp("classification") / "project"
    shutil.copytree(tiny_template, root)
    recs, labels, probabilities = combined_cases(SEED)
    project = configure(root, recs, labels, probabilities, {"curve_max_points": MAX_POINTS})
    result = run(project)
    assert result.success, [(r.name, r.message) for r in result.results if r.status in ("error", "fail")]
    return project, scored_rows(recs, labels, 10, 1.0), probabilities


def test_adversarial_classification_equals_sklearn(
    adversarial: tuple[Project, pd.DataFrame, set[str]],
) -> None:
    project, rows, probabilities = adversarial
    assert {"sure", "calibrated"} <= {p.split("|")[1] for p in probabilities}
    actual = assert_classification_equal(project, rows, 0.5, probabilities, MAX_POINTS)
    values = actual.set_index(KEYS)["value"]
    # one class: AUC undefined (null), AP 1 or 0 as sklearn, PR-AUC null without a positive
    # (sklearn's auc(recall, precision) would give 0.5: it sets recall to 1 without positives)
    assert math.isnan(values["one_class|hits", "roc_auc"]) and math.isnan(
        values["one_class|misses", "roc_auc"]
    )
    assert values["one_class|hits", "average_precision"] == pytest.approx(1.0, abs=1e-12)
    assert values["one_class|misses", "average_precision"] == 0.0
    assert math.isnan(values["one_class|misses", "pr_auc"])
    assert ("one_class|hits", "gauc") not in values.index  # no user with both classes
    assert not any(c == "one_class|ranks" for c, _ in values.index)  # ranks only: no score
    tied = actual[actual["candidate"].str.startswith("all_tied|") & (actual["metric"] == "roc_auc")]
    assert len(tied) > 0 and (tied["value"] == 0.5).all()
    # wrong certainties cost -ln(1e-15) each, not infinity; log_loss for declared candidates only
    assert 1 < values["extreme|sure", "log_loss"] < 35
    assert set(actual.loc[actual["metric"] == "log_loss", "candidate"]) == probabilities
    users = set(frame(project, "select user_id from classification_rows")["user_id"])
    assert "extreme|nobody" not in users  # only in recs: left out
    assert len(frame(project, "select * from roc_curve where candidate = 'dense|dense'")) <= MAX_POINTS + 1


def test_classification_threshold_var_moves_the_confusion_matrix(
    adversarial: tuple[Project, pd.DataFrame, set[str]],
) -> None:
    project, rows, _ = adversarial
    project = Project.load(project.dir, vars={"classification_threshold": 0.75})
    result = project.build(
        RunOptions(select=["confusion_matrix", "threshold_metrics"], report=False, mlflow=False)
    )
    assert result.success
    assert_confusion_equal(project, rows, 0.75)
    expected = sklearn_metrics(rows, 0.75, set())
    expected = expected[expected["metric"].str.endswith("_at_threshold")]
    assert_frames_close(expected, frame(project, "select * from threshold_metrics"), keys=KEYS)
