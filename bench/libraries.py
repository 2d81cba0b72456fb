"""ranx and pytrec_eval on the benchmark's files: the shared metric set as means.

Each function returns (seconds building the library's inputs from the Parquet files,
seconds computing, {(metric, k): mean}). Both libraries get nested {query: {doc: value}}
dicts of strings, built from the Parquet files with pyarrow and one zip loop. The mean runs over the
users with a relevant label, like evalhouse's default (trec_eval without -c).
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

Means = dict[tuple[str, int], float]

RANX_NAMES = {"precision": "precision", "recall": "recall", "ndcg": "ndcg", "map": "map", "mrr": "mrr",
              "hit_rate": "hit_rate"}
TREC_NAMES = {"precision": "P", "recall": "recall", "ndcg": "ndcg_cut", "map": "map_cut", "hit_rate": "success"}


def read_inputs(data: Path, rel_threshold: float, max_k: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Relevant labels and the recommendations of the users that have one, within max_k."""
    labels = pq.read_table(data / "labels.parquet", columns=["user_id", "item_id", "relevance"]).to_pandas()
    labels = labels[labels["relevance"] >= rel_threshold]
    recs = pq.read_table(data / "recs.parquet", columns=["user_id", "item_id", "rank"]).to_pandas()
    recs = recs[(recs["rank"] <= max_k) & recs["user_id"].isin(labels["user_id"].unique())]
    return recs, labels


def nested_dicts(users: pd.Series, items: pd.Series, values: list) -> dict[str, dict[str, float]]:
    """{user: {item: value}} with string ids, users in first-seen order."""
    out: dict[str, dict[str, float]] = {}
    for user, item, value in zip(users.astype(str), items.astype(str), values, strict=True):
        out.setdefault(user, {})[item] = value
    return out


def ranx_means(data: Path, k_values: list[int], rel_threshold: float = 1.0) -> tuple[float, float, Means]:
    """ranx's evaluate on plain {query: {doc: value}} dicts: its fastest documented input
    (Qrels/Run.from_df go through numba typed dicts, about 60 s for 1M rows here)."""
    from ranx import evaluate

    started = time.perf_counter()
    recs, labels = read_inputs(data, rel_threshold, max(k_values))
    qrels = nested_dicts(labels["user_id"], labels["item_id"], labels["relevance"].round().astype(int).tolist())
    listed = nested_dicts(recs["user_id"], recs["item_id"], (1.0 / recs["rank"]).tolist())
    run = {user: listed.get(user, {}) for user in qrels}  # ranx pairs queries by position
    del recs, labels, listed
    built = time.perf_counter()
    names = [f"{RANX_NAMES[m]}@{k}" for m in RANX_NAMES for k in k_values]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = evaluate(qrels, run, names)
    means = {(m, k): float(scores[f"{RANX_NAMES[m]}@{k}"]) for m in RANX_NAMES for k in k_values}
    return built - started, time.perf_counter() - built, means


def pytrec_eval_means(data: Path, k_values: list[int], rel_threshold: float = 1.0) -> tuple[float, float, Means]:
    """trec_eval has no cut-off for the reciprocal rank: mrr@K is recip_rank when the first
    hit is within K (1 / recip_rank <= K), else 0, which is exactly mrr@K."""
    import pytrec_eval

    started = time.perf_counter()
    recs, labels = read_inputs(data, rel_threshold, max(k_values))
    qrels = nested_dicts(labels["user_id"], labels["item_id"], labels["relevance"].round().astype(int).tolist())
    run = nested_dicts(recs["user_id"], recs["item_id"], (-recs["rank"].astype(float)).tolist())
    del recs, labels
    built = time.perf_counter()
    cutoffs = ",".join(str(k) for k in k_values)
    measures = {f"{name}.{cutoffs}" for name in TREC_NAMES.values()} | {"recip_rank"}
    per_user = pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(run)
    n_users = len(qrels)  # users with a relevant label and no list score 0 (none here: every user has a list)
    sums = {(m, k): 0.0 for m in [*TREC_NAMES, "mrr"] for k in k_values}
    for values in per_user.values():
        first_hit = round(1.0 / values["recip_rank"]) if values["recip_rank"] > 0 else None
        for k in k_values:
            for metric, name in TREC_NAMES.items():
                sums[(metric, k)] += values[f"{name}_{k}"]
            if first_hit is not None and first_hit <= k:
                sums[("mrr", k)] += values["recip_rank"]
    means = {key: value / n_users for key, value in sums.items()}
    return built - started, time.perf_counter() - built, means
