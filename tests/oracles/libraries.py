"""ranx and pytrec_eval behind the same long output shape as the reference.

These wrappers are how the reference in ``ranking.py`` is checked. They translate our
input conventions into what each library expects, so that any remaining difference is a
difference in the metric formulas:

* Order. Both libraries order a run by score. We feed ``score = last_position + 1 -
  position``: distinct, so neither library's tie breaking matters (trec_eval breaks
  ties by docno descending; ranx uses a reversed numpy argsort, i.e. no defined order).
* Rank gaps. Our ranks may have gaps after de-duplication (1, 2, 4). The libraries only
  know positions, so every gap is filled with a dummy, never-relevant document; the
  library's position then equals our rank. Ranks beyond max(k) are cut: they cannot
  change any metric at those cut-offs.
* Relevance. Binary metrics get qrels with gain 1 for each relevant item and nothing
  else. NDCG gets the raw relevance of the relevant items only: trec_eval's ndcg_cut
  uses the gain of *every* judged document, even one below ``relevance_level``, which
  docs/metrics.md does not (non-relevant items gain 0), so items below the threshold are
  left out. trec_eval reads integer judgments only; linear NDCG is unchanged when all
  gains are scaled, so half-star relevances are doubled for it. ranx is given plain
  dicts, which it stores as float64 (its ``Qrels`` class would cast to int and truncate
  3.5 to 3), so it gets raw relevances and checks ``ndcg_exp`` too; it drops judgments
  below 1 (its default relevance level), so graded ranx metrics need every relevant
  relevance >= 1.
* Missing lists. A user with relevant items and no list: pytrec_eval gets an empty run
  for that query and reports 0 (a query absent from the run is absent from its output).
  ranx rejects qrels and run with different queries and cannot hold an empty list in
  a plain dict run, so such a user gets one dummy, never-relevant document, which
  scores 0 on every metric here.
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
    "f_beta": "f1",  # equal to ours for beta = 1 only
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
# Without a cut-off (k missing in the output): the run is cut at max(k) only.
RANX_WITHOUT_K: dict[str, str] = {"r_precision": "r-precision"}
PYTREC_EVAL_WITHOUT_K: dict[str, str] = {"r_precision": "Rprec", "bpref": "bpref"}
RANX_BINARY = ("precision", "recall", "f_beta", "hit_rate", "mrr", "map")
RANX_GRADED = ("ndcg", "ndcg_exp")
PYTREC_EVAL_BINARY = ("precision", "recall", "hit_rate", "map")

GAP_DOC = "⟨gap {}⟩"  # dummy document filling rank gap number {}
NO_LIST_DOC = "⟨no list⟩"  # ranx's stand-in for an empty list

Qrels = dict[str, dict[str, float]]
RunDict = dict[str, dict[str, float]]
Row = tuple[Hashable, Hashable, str, int | None, float]


def ranx_rbp_name(persistence: float) -> str:
    """ranx's name of rbp at a persistence: "rbp.8" is p = 0.8 (ranx reads "0." + digits)."""
    digits = repr(float(persistence)).removeprefix("0.")
    if not 0 < persistence < 1 or not digits.isdigit():
        raise ValueError(f"ranx cannot name rbp with persistence {persistence!r}")
    return f"rbp.{digits}"


def gain_scale(relevances: Iterable[float]) -> int | None:
    """Smallest factor (1 or 2) turning every relevance into a positive integer.

    None when there is none: trec_eval then cannot reproduce graded NDCG.
    """
    values = list(relevances)
    for scale in (1, 2):
        if all(rel > 0 and float(rel * scale).is_integer() for rel in values):
            return scale
    return None


def _string_ids(values: Iterable[Hashable], column: str) -> dict[Hashable, str]:
    """str() of each id (both libraries key by string); must stay one-to-one."""
    ids = {value: str(value) for value in values}
    if len(set(ids.values())) != len(ids):
        raise ValueError(f"two {column} values have the same string form")
    return ids


class _Prepared:
    """Our inputs as string-keyed qrels and position-faithful runs."""

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
        self.label_items = label_relevance(labels)
        self.relevant = relevant_items(labels, rel_threshold)
        self.candidates = sorted_unique(self.recs["candidate"])
        # Users with labels but no relevant item are scored (as 0) only on request, to
        # check the "count them as 0" aggregation.
        self.users = sorted(self.label_items if include_users_without_relevant else self.relevant)
        self.user_id = _string_ids(self.users, "user_id")
        self.item_id = _string_ids(
            {*self.recs["item_id"], *(i for items in self.label_items.values() for i in items)},
            "item_id",
        )
        reserved = {NO_LIST_DOC, *(GAP_DOC.format(r) for r in range(1, max(self.ks) + 1))}
        if reserved & set(self.item_id.values()):
            raise ValueError(f"item ids {sorted(reserved)} are reserved by the oracle")
        self.relevances = [rel for items in self.relevant.values() for rel in items.values()]

    def qrels(self, gain: Any) -> Qrels:
        """{user: {item: gain(relevance)}} over relevant items; a user without relevant
        items gets its label items at relevance 0 (judged non-relevant by both)."""
        qrels: Qrels = {}
        for user in self.users:
            if user in self.relevant:
                items = {self.item_id[i]: gain(rel) for i, rel in self.relevant[user].items()}
            else:
                items = {self.item_id[i]: 0 for i in self.label_items[user]}
            qrels[self.user_id[user]] = items
        return qrels

    def judged_qrels(self) -> Qrels:
        """{user: {item: 1 if relevant else 0}} over every labelled item: the judged
        non-relevant items bpref reads (labels below the threshold) at 0."""
        return {
            self.user_id[user]: {
                self.item_id[i]: 1 if i in self.relevant.get(user, {}) else 0 for i in self.label_items[user]
            }
            for user in self.users
        }

    def run(self, candidate: Hashable, cut: int | None = None) -> RunDict:
        """{user: {doc: score}} whose score order reproduces our ranks, gaps filled,
        cut at rank `cut` (default max(k)).

        Every user of the qrels is present, with an empty dict when it has no list.
        """
        lists = ranked_lists(self.recs[self.recs["candidate"] == candidate])
        top_k = max(self.ks) if cut is None else cut
        run: RunDict = {}
        for user in self.users:
            by_rank = {r: item for r, item in lists.get((candidate, user), []) if r <= top_k}
            last = max(by_rank, default=0)
            docs: dict[str, float] = {}
            for position in range(1, last + 1):
                item = by_rank.get(position)
                doc = GAP_DOC.format(position) if item is None else self.item_id[item]
                docs[doc] = float(last + 1 - position)
            run[self.user_id[user]] = docs
        return run

    def rows(self, candidate: Hashable, values: dict[tuple[str, int | None], dict[str, float]]) -> list[Row]:
        """Long rows from {(metric, k): {query id: value}}; every user must be present."""
        return [
            (candidate, user, metric, k, float(per_query[self.user_id[user]]))
            for user in self.users
            for (metric, k), per_query in values.items()
        ]


def _frame(rows: list[Row]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=USER_METRIC_COLUMNS).astype({"k": "Int64"})
    return frame.sort_values(["candidate", "user_id", "metric", "k"], kind="stable").reset_index(drop=True)


def _ranx_scores(qrels: Qrels, run: RunDict, names: list[str]) -> dict[str, dict[str, float]]:
    """{ranx metric name: {query id: value}}, from plain dicts (see ranx_user_metrics)."""
    from numba.core.errors import NumbaTypeSafetyWarning
    from ranx import evaluate

    for docs in run.values():
        if not docs:
            # A plain-dict run cannot hold an empty list (ranx needs a 2-column array
            # per query): one never-relevant document scores 0 just the same.
            docs[NO_LIST_DOC] = 1.0
    # With dicts ranx pairs queries by position, so both must share one order.
    if list(qrels) != list(run):
        raise RuntimeError("qrels and run queries are not in the same order")
    # For a single metric ranx returns its scores under the name without parameters
    # ("rbp" for "rbp.8", a KeyError inside ranx): a second metric keeps the dict
    asked = names if len(names) > 1 else [*names, "hits@1"]
    with warnings.catch_warnings():
        # ranx's numba kernels warn about an uint64 -> int64 cast of k.
        warnings.simplefilter("ignore", NumbaTypeSafetyWarning)
        scores = evaluate(qrels, run, asked, return_mean=False)
    return {name: dict(zip(run, scores[name], strict=True)) for name in names}


def ranx_user_metrics(
    recs: pd.DataFrame,
    labels: pd.DataFrame,
    k_values: Iterable[int],
    rel_threshold: float = 1.0,
    include_users_without_relevant: bool = False,
    persistence: float = 0.8,
) -> pd.DataFrame:
    """Per-user metrics from ranx: precision, recall, f_beta (ranx f1, beta 1 only),
    hit_rate, mrr, map, rbp (ranx rbp.p on the run cut at each K, given binary
    judgments: ranx weighs each hit by its judgment, so graded ones would scale it),
    r_precision (k missing) and, when every relevant relevance is >= 1, ndcg and
    ndcg_exp (ranx ndcg_burges). Same long shape and users as ``reference_user_metrics``.

    ``include_users_without_relevant`` also scores the label users with no relevant
    item (given to ranx with relevance 0, which it treats as non-relevant): ranx gives
    them 0 on every metric, as trec_eval -c would.
    """
    prep = _Prepared(recs, labels, k_values, rel_threshold, include_users_without_relevant)
    if not prep.users:
        return _frame([])
    binary = prep.qrels(lambda rel: 1)
    qrels_sets: list[tuple[Qrels, tuple[str, ...]]] = [(binary, RANX_BINARY)]
    if all(rel >= 1 for rel in prep.relevances):
        qrels_sets.append((prep.qrels(float), RANX_GRADED))
    rbp = ranx_rbp_name(persistence)

    rows: list[Row] = []
    for candidate in prep.candidates:
        run = prep.run(candidate)
        values: dict[tuple[str, int | None], dict[str, float]] = {}
        for qrels, metrics in qrels_sets:
            # Plain dicts rather than ranx.Qrels/Run: Qrels casts judgments to int, and
            # the numba typed containers behind both recompile (~5 s) in every process.
            scores = _ranx_scores(qrels, run, [f"{RANX_METRICS[m]}@{k}" for m in metrics for k in prep.ks])
            for metric in metrics:
                for k in prep.ks:
                    values[(metric, k)] = scores[f"{RANX_METRICS[metric]}@{k}"]
        for metric, name in RANX_WITHOUT_K.items():
            values[(metric, None)] = _ranx_scores(binary, run, [name])[name]
        for k in prep.ks:  # ranx's rbp has no cut-off: the run is cut at K instead
            values[("rbp", k)] = _ranx_scores(binary, prep.run(candidate, cut=k), [rbp])[rbp]
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
    (recall_k), hit_rate (success_k), map (map_cut_k), r_precision (Rprec) and bpref
    (k missing; labels below the threshold judged non-relevant, other items unjudged)
    and, when relevances are whole or half numbers > 0, ndcg (ndcg_cut_k). Same long
    shape and users as ``reference_user_metrics``.

    ``order_from="score"`` hands trec_eval the raw scores of recs (which must have no
    ranks and no duplicates) so that trec_eval itself orders the lists and breaks
    score ties (by docno descending): this checks our tie rule against trec_eval's, on
    the metrics with a cut-off only.
    """
    import pytrec_eval

    prep = _Prepared(recs, labels, k_values, rel_threshold)
    if not prep.users:
        return _frame([])
    cutoffs = ",".join(str(k) for k in prep.ks)
    binary_measures = {f"{PYTREC_EVAL_METRICS[m]}.{cutoffs}" for m in PYTREC_EVAL_BINARY}
    evaluators: list[tuple[Any, tuple[str, ...]]] = [
        (pytrec_eval.RelevanceEvaluator(prep.qrels(lambda rel: 1), binary_measures), PYTREC_EVAL_BINARY),
    ]
    without_k = pytrec_eval.RelevanceEvaluator(prep.judged_qrels(), set(PYTREC_EVAL_WITHOUT_K.values()))
    scale = gain_scale(prep.relevances)
    if scale is not None:
        graded = prep.qrels(lambda rel: round(rel * scale))
        evaluators.append((pytrec_eval.RelevanceEvaluator(graded, {f"ndcg_cut.{cutoffs}"}), ("ndcg",)))

    rows: list[Row] = []
    for candidate in prep.candidates:
        run = prep.run(candidate) if order_from == "rank" else _raw_score_run(prep, recs, candidate)
        values: dict[tuple[str, int | None], dict[str, float]] = {}
        for evaluator, metrics in evaluators:
            result = evaluator.evaluate(run)
            for metric in metrics:
                for k in prep.ks:
                    key = f"{PYTREC_EVAL_METRICS[metric]}_{k}"
                    values[(metric, k)] = {q: measures[key] for q, measures in result.items()}
        if order_from == "score":
            # the raw lists run past max(k), which trec_eval's Rprec and bpref would read
            # (ours stop at max(k)); cutting them here would need our own tie rule
            rows.extend(prep.rows(candidate, values))
            continue
        result = without_k.evaluate(run)
        for metric, key in PYTREC_EVAL_WITHOUT_K.items():
            values[(metric, None)] = {q: measures[key] for q, measures in result.items()}
        rows.extend(prep.rows(candidate, values))
    return _frame(rows)


def _raw_score_run(prep: _Prepared, recs: pd.DataFrame, candidate: Hashable) -> RunDict:
    """The candidate's lists with their original scores (every user present)."""
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
