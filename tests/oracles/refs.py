"""What a user of Microsoft Recommenders, RecTools or Evidently gets from our inputs: each
library runs in the reference environment (refs_venv.py) through refs_runner.py, on the
inputs handed over as that library takes them. Nothing is translated into evalhouse's
conventions: the profile of the same name must reproduce these numbers
(tests/test_conventions_refs.py).

What is left to the harness, and why:

* A duplicated (user, item) keeps its best rank or score (a list of recommendations names an
  item once). A list handed over with ranks is cut at rank max(k_values), as evalhouse reads
  it; Recommenders, which numbers the rows itself and cuts at each K, gets it whole.
* The truth: Recommenders and RecTools take a frame of positive interactions (every row is
  relevant), so they get the labels at or above rel_threshold: Recommenders one row per
  (user, item); RecTools every such row, a (user, item) labelled twice twice, as its test
  interactions would hold it (the `rectools` profile counts the copies, rule label_copies).
  Evidently takes one frame of recommended rows with their target, and reads recall's
  denominator from it: it gets each recommended row with the label's relevance (0 without
  one), each relevant label that was not recommended as a row ranked after every list
  (max(k_values) + 1), and min_rel_score = rel_threshold.
* Recommenders takes scores and ranks them itself (a stable sort, so tied scores keep the
  rows' order): it gets score = -rank for a file with ranks, and the rows in evalhouse's
  order (score descending, then item_id descending). RecTools and Evidently take ranks: the
  file's own (its best per item), or for a file of scores the position in that order among
  the file's rows (neither library says how a list of scores becomes ranks; numbering every
  row, a duplicate's copies too, is how evalhouse ranks such a file, and the ranks rule
  then keeps them).
* Beyond accuracy (Evidently) and classification (Recommenders): see
  evidently_beyond_metrics (the lists cut at max(k_values), the train rows, each item's
  categories as 0/1 columns) and recommenders_classification_metrics (every label as a 0/1
  rating, the scored rows of a top max(k_values)); RecTools' and Recommenders' beyond
  accuracy: refs_beyond.py.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from .inputs import USER_METRIC_COLUMNS
from .refs_venv import ensure_refs_venv

RUNNER = Path(__file__).with_name("refs_runner.py")
MEAN_COLUMNS = ["candidate", "metric", "k", "value"]
# above this many labelled users, Recommenders' per-user values (one library call per user,
# metric and K) are not asked for: its means are still compared
PER_USER_LIMIT = 60


def _lists(recs: pd.DataFrame, top: int | None) -> pd.DataFrame:
    """One row per (candidate, user, item): rank (the file's best, else the position by score
    descending then item_id descending) and score (-rank for a file with ranks), ordered by
    rank and cut at rank `top` (None: not cut)."""
    parts = []
    for _, rows in recs.groupby("candidate", sort=True):
        ranked = "rank" in rows.columns and rows["rank"].notna().any()
        rows = rows.assign(score=-rows["rank"].astype(float)) if ranked else rows.assign(score=rows["score"])
        # evalhouse's order: score descending, then item_id descending in its own type
        rows = rows.sort_values(["user_id", "item_id"], ascending=False, kind="stable")
        rows = rows.sort_values(["user_id", "score"], ascending=[True, False], kind="stable")
        if not ranked:  # every row of the file numbered, a duplicate's copies included
            rows = rows.assign(rank=rows.groupby("user_id").cumcount() + 1)
        best = rows.drop_duplicates(["user_id", "item_id"], keep="first")
        parts.append(best if top is None else best[best["rank"] <= top])
    out = pd.concat(parts)[["candidate", "user_id", "item_id", "rank", "score"]]
    return out.assign(rank=out["rank"].astype(int))


def _relevant(labels: pd.DataFrame, threshold: float) -> pd.DataFrame:
    relevant = labels[labels["relevance"] >= threshold]
    best = relevant.groupby(["user_id", "item_id"], as_index=False, sort=True)["relevance"].max()
    return best.astype({"user_id": str, "item_id": str})


def _spec(library: str, recs: pd.DataFrame, labels: pd.DataFrame, k_values: list[int], threshold: float,
          beta: float) -> dict:
    # Recommenders numbers the rows itself and cuts at each K: it gets the whole lists
    lists = _lists(recs, None if library == "recommenders" else max(k_values))
    lists = lists.astype({"candidate": str, "user_id": str, "item_id": str})
    relevant = _relevant(labels, threshold)
    truth = relevant[["user_id", "item_id", "relevance"]].values.tolist()
    if library == "rectools":  # every relevant row, a label's copies too: its interactions
        rows = labels[labels["relevance"] >= threshold].astype({"user_id": str, "item_id": str})
        truth = rows[["user_id", "item_id", "relevance"]].values.tolist()
    reco: dict[str, list] = {}
    for candidate, rows in lists.groupby("candidate", sort=True):
        if library == "recommenders":
            reco[candidate] = rows[["user_id", "item_id", "score"]].values.tolist()
        elif library == "rectools":
            reco[candidate] = rows[["user_id", "item_id", "rank"]].values.tolist()
        else:
            reco[candidate] = _evidently_rows(rows, labels, relevant, max(k_values))
    users = labels["user_id"].nunique()
    return {"library": library, "k_values": sorted(set(k_values)), "beta": beta, "rel_threshold": threshold,
            "truth": truth, "reco": reco, "per_user": library == "recommenders" and users <= PER_USER_LIMIT}


def _evidently_rows(rows: pd.DataFrame, labels: pd.DataFrame, relevant: pd.DataFrame, top: int) -> list:
    """The recommended rows with the label's relevance as target (0 without a label), then
    each relevant label not recommended, ranked after every list."""
    best = labels.astype({"user_id": str, "item_id": str}).groupby(["user_id", "item_id"])["relevance"].max()
    shown = rows.join(best, on=["user_id", "item_id"]).fillna({"relevance": 0.0})
    keys = set(zip(rows["user_id"], rows["item_id"], strict=True))
    missed = relevant[[(u, i) not in keys for u, i in zip(relevant["user_id"], relevant["item_id"], strict=True)]]
    out = [[u, i, int(r), float(v)] for u, i, r, v in shown[["user_id", "item_id", "rank", "relevance"]].values]
    out.extend([u, i, top + 1, float(v)] for u, i, v in missed[["user_id", "item_id", "relevance"]].values)
    return out


def library_metrics(library: str, recs: pd.DataFrame, labels: pd.DataFrame, k_values: Iterable[int],
                    threshold: float, beta: float = 1.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-user values, means) of `library` in evalhouse's metric names; per-user values
    only where the library gives them (RecTools, Recommenders on small inputs)."""
    return _run(_spec(library, recs, labels, list(k_values), threshold, beta))


def evidently_beyond_metrics(recs: pd.DataFrame, labels: pd.DataFrame, train: pd.DataFrame,
                             features: dict[str, set[str]], k_values: Iterable[int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Evidently's PopularityBias, NoveltyMetric, PersonalizationMetric and DiversityMetric
    (means): each candidate's lists of the users in labels (cut at max(k_values), as
    evalhouse reads them), the train interactions and each item's categories (`features`:
    item id as text -> categories, one 0/1 column each), ids as text. A candidate without
    such a list is left out (the library cannot run on no rows)."""
    k_values = sorted(set(k_values))
    lists = _lists(recs, max(k_values)).astype({"candidate": str, "user_id": str, "item_id": str})
    lists = lists[lists["user_id"].isin(set(labels["user_id"].astype(str)))]
    reco = {candidate: rows[["user_id", "item_id", "rank"]].values.tolist()
            for candidate, rows in lists.groupby("candidate", sort=True)}
    train_rows = train[["user_id", "item_id"]].astype(str).values.tolist()
    return _run({"library": "evidently_beyond", "k_values": k_values, "train": train_rows, "reco": reco,
                 "features": {item: sorted(categories) for item, categories in features.items()}})


def recommenders_classification_metrics(recs: pd.DataFrame, labels: pd.DataFrame, k_values: Iterable[int],
                                        threshold: float, probabilities: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Microsoft Recommenders' auc and logloss (means, k None; logloss for the candidates in
    `probabilities`). The truth: every label, rating 1 at or above `threshold`, else 0 (the
    binary rating both functions take), one row per (user, item) with its highest
    relevance. The predictions: each candidate's scored rows, a duplicated item keeping its
    best rank (a file of scores: its highest score), numbered 1..n in rank order and cut at
    max(k_values), the rows evalhouse classifies."""
    best = labels.groupby(["user_id", "item_id"], as_index=False, sort=True)["relevance"].max()
    truth = [[str(u), str(i), float(r >= threshold)] for u, i, r in best[["user_id", "item_id", "relevance"]].values]
    reco: dict[str, list] = {}
    for candidate, rows in recs.groupby("candidate", sort=True):
        if "score" not in rows.columns or rows["score"].isna().all():
            continue
        ranked = "rank" in rows.columns and rows["rank"].notna().any()
        rows = rows.sort_values(["user_id", "item_id"], ascending=False, kind="stable")
        order = ["user_id", "rank"] if ranked else ["user_id", "score"]
        rows = rows.sort_values(order, ascending=[True, bool(ranked)], kind="stable")
        rows = rows.drop_duplicates(["user_id", "item_id"], keep="first")
        rows = rows[rows.groupby("user_id").cumcount() < max(k_values)]
        rows = rows[rows["score"].notna()]
        reco[str(candidate)] = [[str(u), str(i), float(v)] for u, i, v in rows[["user_id", "item_id", "score"]].values]
    return _run({"library": "recommenders_classification", "truth": truth, "reco": reco,
                 "probabilities": sorted(probabilities)})


def _run(spec: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Runs refs_runner.py on `spec` in the reference environment: (per-user values, means)."""
    python = ensure_refs_venv()
    library = spec["library"]
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder, "in.json"), Path(folder, "out.json")
        source.write_text(json.dumps(spec), encoding="utf-8")
        done = subprocess.run([str(python), str(RUNNER), str(source), str(target)], capture_output=True,
                              text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{library} failed in the reference environment:\n{done.stderr[-4000:]}")
        result = json.loads(target.read_text(encoding="utf-8"))
    users = pd.DataFrame(result["users"], columns=USER_METRIC_COLUMNS).astype({"k": "Int64"})
    means = pd.DataFrame(result["means"], columns=MEAN_COLUMNS).astype({"k": "Int64"})
    return users, means
