"""Reference ("oracle") implementation of the ranking metrics of docs/metrics.md.

The per-user functions are deliberately naive loops that read like
docs/metrics.md, section "Ranking". They are the trusted side of every comparison with the
SQL models, and are themselves checked against ranx and pytrec_eval
(``tests/test_oracles.py``) through the library wrappers re-exported here.

Long shape everywhere: one row per (candidate, user_id, metric, k) with a float value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any

import pandas as pd

from .inputs import (
    USER_METRIC_COLUMNS,
    RankedList,
    check_k_values,
    label_relevance,
    normalize_recs,
    ranked_lists,
    relevant_items,
    sorted_unique,
    users_without_relevant,
)

# The library wrappers live in their own module (they are the checked side, not the
# reference); re-exported here so callers find every ranking oracle in one place.
from .libraries import pytrec_eval_user_metrics, ranx_user_metrics

# One row per cut-off K ...
RANKING_METRICS_AT_K: tuple[str, ...] = (
    "precision",
    "recall",
    "recall_capped",
    "f_beta",
    "hit_rate",
    "mrr",
    "map",
    "map_capped",
    "ndcg",
    "ndcg_exp",
    "rbp",
)
# ... and one row with k null (missing): no cut-off, the list read up to max(k_values)
RANKING_METRICS_WITHOUT_K: tuple[str, ...] = ("r_precision", "bpref")
RANKING_METRICS: tuple[str, ...] = RANKING_METRICS_AT_K + RANKING_METRICS_WITHOUT_K
RBP_PERSISTENCE = 0.8  # the default of var rbp_persistence
METRIC_COLUMNS = ["candidate", "metric", "k", "value", "n_users", "users_without_relevant"]


def _dcg(gains_by_rank: Sequence[tuple[int, float]]) -> float:
    """Sum of gain / log2(rank + 1) over (rank, gain) pairs."""
    return sum(gain / math.log2(rank + 1) for rank, gain in gains_by_rank)


def _ndcg(top_k: RankedList, relevant: dict[Any, float], k: int, gain_of: Callable[[float], float]) -> float:
    """NDCG@k with ``gain_of(relevance)``; non-relevant items have gain 0.

    The ideal list puts all relevant items in order of decreasing gain at ranks
    1, 2, ... and is cut at k. 0 when the ideal DCG is 0.
    """
    dcg = _dcg([(rank, gain_of(relevant[item])) for rank, item in top_k if item in relevant])
    ideal_gains = sorted((gain_of(rel) for rel in relevant.values()), reverse=True)[:k]
    ideal = _dcg(list(enumerate(ideal_gains, start=1)))
    return dcg / ideal if ideal > 0 else 0.0


def user_ranking_metrics(
    ranked: RankedList,
    relevant: dict[Any, float],
    k: int,
    beta: float = 1.0,
    persistence: float = RBP_PERSISTENCE,
) -> dict[str, float]:
    """Every ranking metric with a cut-off, at cut-off k, for one user's list.

    ``ranked``: (rank, item_id) pairs sorted by rank (rank values may have gaps).
    ``relevant``: {item_id: relevance} of the user's relevant items (non-empty).
    """
    n_relevant = len(relevant)
    top_k = [(rank, item) for rank, item in ranked if rank <= k]
    hit_ranks = [rank for rank, item in top_k if item in relevant]
    hits = len(hit_ranks)

    precision = hits / k  # short lists count as padded with misses
    recall = hits / n_relevant
    b2 = beta * beta
    denominator = b2 * precision + recall
    f_beta = (1 + b2) * precision * recall / denominator if denominator > 0 else 0.0

    # Average precision: at every hit at rank i, precision@i = hits with rank <= i / i.
    precision_at_hits = sum(sum(1 for other in hit_ranks if other <= rank) / rank for rank in hit_ranks)

    return {
        "precision": precision,
        "recall": recall,
        "recall_capped": hits / min(k, n_relevant),
        "f_beta": f_beta,
        "hit_rate": 1.0 if hits > 0 else 0.0,
        "mrr": 1.0 / min(hit_ranks) if hit_ranks else 0.0,
        "map": precision_at_hits / n_relevant,
        "map_capped": precision_at_hits / min(k, n_relevant),
        "ndcg": _ndcg(top_k, relevant, k, gain_of=lambda rel: rel),
        "ndcg_exp": _ndcg(top_k, relevant, k, gain_of=lambda rel: 2.0**rel - 1.0),
        # rank-biased precision (Moffat & Zobel 2008), binary relevance
        "rbp": (1 - persistence) * sum(persistence ** (rank - 1) for rank in hit_ranks),
    }


def user_metrics_without_k(
    ranked: RankedList, relevant: dict[Any, float], judged_nonrelevant: set[Any]
) -> dict[str, float]:
    """The ranking metrics without a cut-off for one user's list (already cut at max(k)).

    ``judged_nonrelevant``: the user's labelled items below the threshold (bpref's judged
    non-relevant items); items without a label are unjudged and count for nothing.
    """
    n_relevant = len(relevant)
    n_nonrelevant = len(judged_nonrelevant)
    hits_within_r = sum(1 for rank, item in ranked if rank <= n_relevant and item in relevant)

    # bpref as trec_eval computes it: every retrieved relevant item adds 1 - min(n, R) /
    # min(R, N), n = judged non-relevant items ranked above it (1 when n is 0)
    bpref_sum, nonrelevant_above = 0.0, 0
    for _, item in ranked:
        if item in relevant:
            if nonrelevant_above == 0:
                bpref_sum += 1.0
            else:
                bpref_sum += 1.0 - min(nonrelevant_above, n_relevant) / min(n_relevant, n_nonrelevant)
        elif item in judged_nonrelevant:
            nonrelevant_above += 1

    return {"r_precision": hits_within_r / n_relevant, "bpref": bpref_sum / n_relevant}


def reference_user_metrics(
    recs: pd.DataFrame,
    labels: pd.DataFrame,
    k_values: Iterable[int],
    rel_threshold: float = 1.0,
    beta: float = 1.0,
    persistence: float = RBP_PERSISTENCE,
) -> pd.DataFrame:
    """Per-user ranking metrics, long shape (candidate, user_id, metric, k, value).

    One row per candidate present in recs x user with >= 1 relevant item x metric x k
    (k missing, once, for RANKING_METRICS_WITHOUT_K). A relevant user without a list for
    a candidate scores 0 on every metric; users without relevant items get no rows
    (``reference_metrics`` counts them). Users or items that appear only in recs are
    ignored; items ranked beyond max(k_values) too.
    """
    ks = check_k_values(k_values)
    recs = normalize_recs(recs)
    lists = ranked_lists(recs)
    relevant_by_user = relevant_items(labels, rel_threshold)
    labelled = label_relevance(labels)

    rows: list[tuple[Hashable, Hashable, str, Any, float]] = []
    for candidate in sorted_unique(recs["candidate"]):
        for user in sorted(relevant_by_user):
            ranked = lists.get((candidate, user), [])  # no list: every metric is 0
            relevant = relevant_by_user[user]
            for k in ks:
                values = user_ranking_metrics(ranked, relevant, k, beta, persistence)
                for metric in RANKING_METRICS_AT_K:
                    rows.append((candidate, user, metric, k, float(values[metric])))
            judged_nonrelevant = set(labelled[user]) - set(relevant)
            top = [(rank, item) for rank, item in ranked if rank <= max(ks)]
            values = user_metrics_without_k(top, relevant, judged_nonrelevant)
            for metric in RANKING_METRICS_WITHOUT_K:
                rows.append((candidate, user, metric, pd.NA, float(values[metric])))
    frame = pd.DataFrame(rows, columns=USER_METRIC_COLUMNS)
    return frame.astype({"k": "Int64"})


def reference_metrics(
    user_metrics: pd.DataFrame,
    labels: pd.DataFrame,
    recs: pd.DataFrame,
    rel_threshold: float = 1.0,
    count_users_without_relevant: bool = False,
) -> pd.DataFrame:
    """Mean over users of ``user_metrics``, one row per (candidate, metric, k).

    Columns: candidate, metric, k, value, n_users, users_without_relevant.
    By default the mean runs over the users with >= 1 relevant item (n_users of them)
    and ``users_without_relevant`` only reports how many label users had none. With
    ``count_users_without_relevant`` those users add zeros to the mean and count in
    n_users (trec_eval ``-c`` / ranx parity). ``recs`` supplies the candidate list, so
    that every candidate gets rows. The number of rows per group must equal the number
    of relevant users (as ``reference_user_metrics`` produces), else ValueError.
    """
    n_relevant_users = len(relevant_items(labels, rel_threshold))
    n_without = users_without_relevant(labels, rel_threshold)
    n_users = n_relevant_users + (n_without if count_users_without_relevant else 0)

    groups: dict[tuple[Hashable, str, int | None], list[float]] = {}
    for candidate, metric, k, value in zip(
        user_metrics["candidate"],
        user_metrics["metric"],
        user_metrics["k"],
        user_metrics["value"],
        strict=True,
    ):
        groups.setdefault((candidate, metric, None if pd.isna(k) else int(k)), []).append(float(value))
    metric_ks = sorted({(metric, k) for _, metric, k in groups}, key=lambda pair: (pair[0], pair[1] or 0))

    rows: list[tuple[Hashable, str, Any, float, int, int]] = []
    for candidate in sorted_unique(recs["candidate"]):
        for metric, k in metric_ks:
            values = groups.get((candidate, metric, k), [])
            if len(values) != n_relevant_users:
                raise ValueError(
                    f"{candidate!r} {metric}@{k}: {len(values)} user rows, expected {n_relevant_users}"
                )
            mean = sum(values) / n_users if n_users else float("nan")
            rows.append((candidate, metric, pd.NA if k is None else k, mean, n_users, n_without))
    return pd.DataFrame(rows, columns=METRIC_COLUMNS).astype({"k": "Int64"})


__all__ = [
    "METRIC_COLUMNS",
    "RANKING_METRICS",
    "RANKING_METRICS_AT_K",
    "RANKING_METRICS_WITHOUT_K",
    "RBP_PERSISTENCE",
    "USER_METRIC_COLUMNS",
    "normalize_recs",
    "pytrec_eval_user_metrics",
    "ranx_user_metrics",
    "reference_metrics",
    "reference_user_metrics",
    "user_metrics_without_k",
    "user_ranking_metrics",
]
