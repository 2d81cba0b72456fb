"""ranx and pytrec_eval behind the same long output shape as the reference.

These wrappers are how the reference in ``ranking.py`` is checked. They translate our
input conventions into what each library expects, so that any remaining difference is a
difference in the metric formulas:

* Order. Both libraries order a run by score. We feed ``score = top_position + 1 -
  position``: distinct, so neither library's tie breaking matters (trec_eval breaks
  ties by docno descending, ranx by an unstable numpy argsort).
* Rank gaps. Our ranks may have gaps after de-duplication (1, 2, 4). The libraries only
  know positions, so every gap is filled with a dummy, never-relevant document; the
  library's position then equals our rank. Ranks beyond max(k) are cut: they cannot
  change any metric at those cut-offs.
* Relevance. Both libraries want integer judgments (ranx casts with ``int``, which
  would truncate 3.5 to 3). Binary metrics get a qrels with gain 1 for each relevant
  item and nothing else. NDCG gets the raw relevance of relevant items only: trec_eval's
  ndcg_cut uses the gain of *every* judged document, even one below
  ``relevance_level``, which METRICS.md does not (non-relevant items gain 0), so items
  below the threshold are left out. Linear NDCG is unchanged when all gains are scaled,
  so half-star relevances are doubled; ``ndcg_exp`` (2^rel - 1) is not, so it is only
  produced when relevances are integers.
* Missing lists. A user with relevant items and no list: pytrec_eval gets an empty run
  for that query (it then reports 0; a query absent from the run would be absent from
  its output). ranx refuses qrels and run with different queries unless
  ``make_comparable=True``, which adds an empty result list; that also scores 0.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Iterable
from typing import Any, Literal

import pandas as pd

from .inputs import (
    USER_METRIC_COLUMNS,
    check_k_values,
    label_relevance,
    normalize_recs,
    ranked_lists,
    relevant_items,
    sorted_unique,
)

# Our metric name -> ranx metric name (ranx appends "@k").
RANX_METRICS: dict[str, str] = {
    "precision": "precision",
    "recall": "recall",
    "f_beta": "f1",  # only equal to ours for beta = 1
    "hit_rate": "hit_rate",
    "mrr": "mrr",
    "map": "map",
    "ndcg": "ndcg",
    "ndcg_exp": "ndcg_burges",
}
# Our metric name -> trec_eval measure (pytrec_eval reports "<measure>_<k>").
PYTREC_EVAL_METRICS: dict[str, str] = {
    "precision": "P",
    "recall": "recall",
    "hit_rate": "success",
    "map": "map_cut",
    "ndcg": "ndcg_cut",
}
BINARY_METRICS = frozenset({"precision", "recall", "f_beta", "hit_rate", "mrr", "map"})

GAP_DOC = "⟨gap {}⟩"  # dummy document filling a rank gap
PLACEHOLDER = "⟨placeholder⟩"  # ranx cannot build a Run without any document

Qrels = dict[str, dict[str, int]]
RunDict = dict[str, dict[str, float]]


def gain_scale(relevances: Iterable[float]) -> int | None:
    """Smallest factor (1 or 2) turning every relevance into a positive integer.

    None when there is none: then the libraries cannot reproduce graded NDCG.
    """
    values = list(relevances)
    for scale in (1, 2):
        if all(rel > 0 and float(rel * scale).is_integer() for rel in values):
            return scale
    return None


class _Prepared:
    """Our inputs turned into string ids, qrels and position-faithful runs."""

    def __init__(
        self,
        recs: pd.DataFrame,
        labels: pd.DataFrame,
        k_values: Iterable[int],
        rel_threshold: float,
        include_users_without_relevant: bool = False,
    ) -> None:
        self.ks = check_k_values(k_values)
        self.recs = normalize_recs(recs)
        self.relevant = relevant_items(labels, rel_threshold)
        self.candidates = sorted_unique(self.recs["candidate"])
        self.users = sorted(self.relevant)
        # Users whose label items are all below the threshold: scored by the library
        # (as 0) only when asked, to check the "count them as 0" aggregation.
        self.zero_users = sorted(
            user for user in label_relevance(labels) if user not in self.relevant
        )
        if include_users_without_relevant:
            self.users = sorted([*self.users, *self.zero_users])
        self.label_items = label_relevance(labels)

        self.user_id = _string_ids(self.users, "user_id")
        self.item_id = _string_ids(
            {*self.recs["item_id"], *(i for items in self.label_items.values() for i in items)},
            "item_id",
        )
        for name in (PLACEHOLDER, *(GAP_DOC.format(r) for r in range(1, max(self.ks) + 1))):
            if name in self.user_id.values() or name in self.item_id.values():
                raise ValueError(f"id {name!r} is reserved by the oracle")
        self.scale = gain_scale(
            rel for items in self.relevant.values() for rel in items.values()
        )

    def binary_qrels(self) -> Qrels:
        """Gain 1 for each relevant item; users without relevant items get gain-0 rows."""
        qrels: Qrels = {}
        for user in self.users:
            if user in self.relevant:
                qrels[self.user_id[user]] = {self.item_id[i]: 1 for i in self.relevant[user]}
            else:
                qrels[self.user_id[user]] = {
                    self.item_id[i]: 0 for i in self.label_items[user]
                }
        return qrels

    def graded_qrels(self, scale: int) -> Qrels:
        """Relevance * scale for relevant items only (see module docstring)."""
        qrels: Qrels = {}
        for user in self.users:
            if user in self.relevant:
                qrels[self.user_id[user]] = {
                    self.item_id[i]: round(rel * scale) for i, rel in self.relevant[user].items()
                }
            else:
                qrels[self.user_id[user]] = {
                    self.item_id[i]: 0 for i in self.label_items[user]
                }
        return qrels

    def run(self, candidate: Hashable) -> RunDict:
        """{user: {doc: score}} whose score order reproduces our ranks, gaps filled."""
        lists = ranked_lists(self.recs[self.recs["candidate"] == candidate])
        top_k = max(self.ks)
        run: RunDict = {}
        for user in self.users:
            by_rank = {rank: item for rank, item in lists.get((candidate, user), []) if rank <= top_k}
            last = max(by_rank, default=0)
            docs: dict[str, float] = {}
            for position in range(1, last + 1):
                item = by_rank.get(position)
                doc = GAP_DOC.format(position) if item is None else self.item_id[item]
                docs[doc] = float(last + 1 - position)
            run[self.user_id[user]] = docs
        return run

    def rows(
        self, candidate: Hashable, values: dict[tuple[str, int], dict[str, float]]
    ) -> list[tuple[Hashable, Hashable, str, int, float]]:
        """Long rows from {(metric, k): {query id: value}}; every user must be present."""
        out = []
        for user in self.users:
            for (metric, k), per_query in values.items():
                out.append((candidate, user, metric, k, float(per_query[self.user_id[user]])))
        return out


def _string_ids(values: Iterable[Hashable], column: str) -> dict[Hashable, str]:
    """str() of each id; the libraries key everything by string."""
    ids = {value: str(value) for value in values}
    if len(set(ids.values())) != len(ids):
        raise ValueError(f"two {column} values have the same string form")
    return ids


def _frame(rows: list[tuple[Hashable, Hashable, str, int, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=USER_METRIC_COLUMNS)
    return frame.sort_values(["candidate", "user_id", "metric", "k"], kind="stable").reset_index(
        drop=True
    )


def ranx_user_metrics(
    recs: pd.DataFrame,
    labels: pd.DataFrame,
    k_values: Iterable[int],
    rel_threshold: float = 1.0,
    include_users_without_relevant: bool = False,
) -> pd.DataFrame:
    """Per-user metrics from ranx: precision, recall, f_beta (ranx f1, beta 1),
    hit_rate, mrr, map, and, when the relevances allow (see module docstring), ndcg and
    ndcg_exp (ranx ndcg_burges). Same long shape and users as reference_user_metrics.

    ``include_users_without_relevant`` also scores label users with no relevant item
    (qrels rows of relevance 0, which ranx treats as non-relevant): ranx gives them 0.
    """
    from numba.core.errors import NumbaTypeSafetyWarning
    from ranx import Qrels as RanxQrels
    from ranx import Run as RanxRun
    from ranx import evaluate

    prep = _Prepared(recs, labels, k_values, rel_threshold, include_users_without_relevant)
    if not prep.users:
        return _frame([])
    qrels_sets: list[tuple[Qrels, list[str]]] = [
        (prep.binary_qrels(), sorted(BINARY_METRICS))
    ]
    if prep.scale is not None:
        graded = ["ndcg", "ndcg_exp"] if prep.scale == 1 else ["ndcg"]
        qrels_sets.append((prep.graded_qrels(prep.scale), graded))

    rows = []
    for candidate in prep.candidates:
        values: dict[tuple[str, int], dict[str, float]] = {}
        for qrels_dict, metrics in qrels_sets:
            run_dict = prep.run(candidate)
            run_dict[PLACEHOLDER] = {PLACEHOLDER: 1.0}  # removed by make_comparable
            run = RanxRun.from_dict(run_dict)
            names = [f"{RANX_METRICS[m]}@{k}" for m in metrics for k in prep.ks]
            with warnings.catch_warnings():
                # ranx's numba kernels warn about an uint64 -> int64 cast of k.
                warnings.simplefilter("ignore", NumbaTypeSafetyWarning)
                evaluate(RanxQrels.from_dict(qrels_dict), run, names, make_comparable=True)
            for metric in metrics:
                for k in prep.ks:
                    values[(metric, k)] = run.scores[f"{RANX_METRICS[metric]}@{k}"]
        rows.extend(prep.rows(candidate, values))
    return _frame(rows)


def pytrec_eval_user_metrics(
    recs: pd.DataFrame,
    labels: pd.DataFrame,
    k_values: Iterable[int],
    rel_threshold: float = 1.0,
    order_from: Literal["rank", "score"] = "rank",
) -> pd.DataFrame:
    """Per-user metrics from pytrec_eval (trec_eval): precision (P_k), recall
    (recall_k), hit_rate (success_k), map (map_cut_k) and, when the relevances allow,
    ndcg (ndcg_cut_k). Same long shape and users as reference_user_metrics.

    ``order_from="score"`` hands trec_eval the raw scores of recs (no rank column, no
    duplicates) so that trec_eval itself breaks score ties (by docno descending):
    this checks our tie rule against trec_eval's.
    """
    import pytrec_eval

    prep = _Prepared(recs, labels, k_values, rel_threshold)
    if not prep.users:
        return _frame([])
    cutoffs = ",".join(str(k) for k in prep.ks)
    evaluators: list[tuple[Any, list[str]]] = [
        (
            pytrec_eval.RelevanceEvaluator(
                prep.binary_qrels(),
                {f"{PYTREC_EVAL_METRICS[m]}.{cutoffs}" for m in ("precision", "recall", "hit_rate", "map")},
            ),
            ["precision", "recall", "hit_rate", "map"],
        )
    ]
    if prep.scale is not None:
        evaluators.append(
            (
                pytrec_eval.RelevanceEvaluator(
                    prep.graded_qrels(prep.scale), {f"ndcg_cut.{cutoffs}"}
                ),
                ["ndcg"],
            )
        )

    rows = []
    for candidate in prep.candidates:
        run = prep.run(candidate) if order_from == "rank" else _raw_score_run(prep, recs, candidate)
        values: dict[tuple[str, int], dict[str, float]] = {}
        for evaluator, metrics in evaluators:
            result = evaluator.evaluate(run)
            for metric in metrics:
                for k in prep.ks:
                    key = f"{PYTREC_EVAL_METRICS[metric]}_{k}"
                    values[(metric, k)] = {q: measures[key] for q, measures in result.items()}
        rows.extend(prep.rows(candidate, values))
    return _frame(rows)


def _raw_score_run(prep: _Prepared, recs: pd.DataFrame, candidate: Hashable) -> RunDict:
    """The candidate's lists with their original scores (every relevant user present)."""
    if "rank" in recs.columns and recs["rank"].notna().any():
        raise ValueError("order_from='score' needs recs without ranks")
    if recs.duplicated(["candidate", "user_id", "item_id"]).any():
        raise ValueError("order_from='score' needs recs without duplicates")
    run: RunDict = {prep.user_id[user]: {} for user in prep.users}
    subset = recs[recs["candidate"] == candidate]
    for user, item, score in zip(subset["user_id"], subset["item_id"], subset["score"], strict=True):
        if user in prep.user_id:
            if math.isnan(float(score)):
                raise ValueError("order_from='score' needs a score on every row")
            run[prep.user_id[user]][prep.item_id[item]] = float(score)
    return run
