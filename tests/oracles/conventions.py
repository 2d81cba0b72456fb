"""What a user of trec_eval (pytrec_eval) or ranx gets from our inputs, handed over as
each library takes them: qrels {user: {item: relevance}} of every label and a run
{user: {item: score}} of every list. Unlike ``libraries.py``, nothing is translated into
evalhouse's conventions: the conventions profile of the same name must reproduce these
numbers (tests/test_conventions.py).

What is left to the harness, and why:

* A file with ranks gives the library score = -rank (a library knows only scores); a
  duplicated (user, item) keeps its best score, since a mapping holds one score per item
  (trec_eval itself stops on a duplicated docno, ranx keeps the last one assigned).
* trec_eval reads whole-number judgments only: half-star relevances and the level are
  both doubled for it, which changes none of its measures (linear ndcg is scale-free).
  ranx's Qrels also casts judgments to int: the same doubling, and ndcg_burges (whose
  gain 2^rel - 1 is not scale-free) is then left out.
* ranx orders tied scores in no defined way (numba's argsort: stable for short arrays,
  not beyond; a Run keeps tied items in insertion order, a plain dict reverses it). Its
  Run gets scores that keep evalhouse's order (score descending, item_id descending)
  strictly, so the comparison checks everything but the order of ties.
* Lists are cut at max(k_values) in the library's own order, as evalhouse reads them.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Iterable

import pandas as pd

from .inputs import USER_METRIC_COLUMNS

Run = dict[str, dict[str, float]]
Row = tuple[Hashable, Hashable, str, int | None, float]

# our metric -> trec_eval measure with a cut-off ("P" reports P_5 ...)
TREC_EVAL_AT_K = {"precision": "P", "recall": "recall", "hit_rate": "success", "map": "map_cut", "ndcg": "ndcg_cut"}
# our metric -> ranx metric with a cut-off ("ndcg@5-l4")
RANX_AT_K = {"precision": "precision", "recall": "recall", "f_beta": "f1", "hit_rate": "hit_rate", "mrr": "mrr",
             "map": "map", "ndcg": "ndcg", "ndcg_exp": "ndcg_burges"}


def _scale(relevances: Iterable[float], threshold: float) -> int:
    """1, or 2 when a relevance or the threshold is a half: the factor that makes them whole."""
    values = [*relevances, threshold]
    for scale in (1, 2):
        if all(float(v * scale).is_integer() for v in values):
            return scale
    raise ValueError("relevances must be whole or half numbers for trec_eval and ranx")


def library_qrels(labels: pd.DataFrame, scale: int) -> dict[str, dict[str, int]]:
    """{user: {item: relevance x scale}} of every label; a repeated label keeps its highest."""
    qrels: dict[str, dict[str, int]] = {}
    for user, item, rel in zip(labels["user_id"], labels["item_id"], labels["relevance"], strict=True):
        value = round(float(rel) * scale)
        items = qrels.setdefault(str(user), {})
        items[str(item)] = max(items.get(str(item), value), value)
    return qrels


def library_runs(recs: pd.DataFrame) -> dict[str, Run]:
    """{candidate: {user: {item: score}}}: score = -rank when the candidate's file has
    ranks (one file per candidate); one score per item, its best."""
    runs: dict[str, Run] = {}
    for candidate, rows in recs.groupby("candidate", sort=True):
        ranked = "rank" in rows.columns and rows["rank"].notna().any()
        scores = -rows["rank"].astype(float) if ranked else rows["score"].astype(float)
        for user, item, score in zip(rows["user_id"], rows["item_id"], scores, strict=True):
            if math.isnan(score):
                raise ValueError("every row needs a rank or a score")
            items = runs.setdefault(str(candidate), {}).setdefault(str(user), {})
            items[str(item)] = max(items.get(str(item), score), score)
    return runs


def trec_eval_order(items: dict[str, float]) -> list[str]:
    """trec_eval's order of a query's run: score descending, then docno descending as
    text (its form_res_rels sorts so): two stable sorts, the tie key first."""
    by_docno = sorted(items, reverse=True)
    return sorted(by_docno, key=lambda doc: -items[doc])


def _cut(run: Run, top: int) -> Run:
    """Each list's first `top` items in trec_eval's order, as distinct decreasing scores."""
    out: Run = {}
    for user, items in run.items():
        order = trec_eval_order(items)[:top]
        out[user] = {doc: float(len(order) - i) for i, doc in enumerate(order)}
    return out


def _frame(rows: list[Row]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=USER_METRIC_COLUMNS).astype({"k": "Int64"})
    return frame.sort_values(["candidate", "user_id", "metric", "k"], kind="stable").reset_index(drop=True)


def trec_eval_user_metrics(recs: pd.DataFrame, labels: pd.DataFrame, k_values: Iterable[int],
                           rel_threshold: float) -> pd.DataFrame:
    """pytrec_eval's per-query values with its own defaults (no -c): precision, recall,
    hit_rate, map, ndcg at each K, mrr at each K (recip_rank of the run cut at K),
    r_precision and bpref (k missing). Queries are the users in both the run and the
    qrels, as pytrec_eval returns them; ids are strings."""
    import pytrec_eval

    ks = sorted(set(k_values))
    scale = _scale(labels["relevance"], rel_threshold)
    qrels = library_qrels(labels, scale)
    level = round(rel_threshold * scale)
    cutoffs = ",".join(map(str, ks))
    measures = {f"{name}.{cutoffs}" for name in TREC_EVAL_AT_K.values()} | {"Rprec", "bpref"}
    evaluator = pytrec_eval.RelevanceEvaluator(qrels, measures, relevance_level=level)
    mrr = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}, relevance_level=level)
    rows: list[Row] = []
    for candidate, run in library_runs(recs).items():
        # the raw scores, ties and all: trec_eval orders them itself
        cut = {user: {doc: items[doc] for doc in trec_eval_order(items)[: max(ks)]} for user, items in run.items()}
        result = evaluator.evaluate(cut)
        for user, values in result.items():
            rows.extend((candidate, user, ours, k, values[f"{name}_{k}"]) for ours, name in TREC_EVAL_AT_K.items()
                        for k in ks)
            rows.append((candidate, user, "r_precision", None, values["Rprec"]))
            rows.append((candidate, user, "bpref", None, values["bpref"]))
        for k in ks:
            rows.extend((candidate, user, "mrr", k, values["recip_rank"])
                        for user, values in mrr.evaluate(_cut(run, k)).items())
    return _frame(rows)


def ranx_user_metrics(recs: pd.DataFrame, labels: pd.DataFrame, k_values: Iterable[int], rel_threshold: float,
                      persistence: float = 0.8) -> pd.DataFrame:
    """ranx's per-query values through Qrels, Run and evaluate(make_comparable=True): every
    qrels user, a user without a run given an empty one. Metrics at each K (precision,
    recall, f1 as f_beta, hit_rate, mrr, map, ndcg, ndcg_burges as ndcg_exp unless the
    relevances were scaled), rbp (rbp.p of the run cut at K, idem), r_precision and bpref (k
    missing), all at relevance level rel_threshold ("-l")."""
    from numba.core.errors import NumbaTypeSafetyWarning
    from ranx import Qrels, evaluate
    from ranx import Run as RanxRun

    ks = sorted(set(k_values))
    scale = _scale(labels["relevance"], rel_threshold)
    level = f"-l{round(rel_threshold * scale)}"
    qrels_dict = library_qrels(labels, scale)
    # ndcg_burges (2^rel - 1) and rbp (rel x p^(i - 1)) are not scale-free: not compared
    # when the relevances had to be doubled
    at_k = {ours: name for ours, name in RANX_AT_K.items() if scale == 1 or ours != "ndcg_exp"}
    digits = repr(float(persistence)).removeprefix("0.")
    rows: list[Row] = []

    def scores(run: Run, names: list[str], users: Iterable[str] = qrels_dict) -> dict[str, dict[str, float]]:
        qrels = Qrels({user: qrels_dict[user] for user in users})
        listed = {user: items for user, items in run.items() if items}
        # a Run cannot be empty: without a list of these users, one of another user's,
        # which make_comparable drops (as it drops every user outside the qrels)
        chosen = {user: listed[user] for user in users if user in listed} or dict([next(iter(listed.items()))])
        ranx_run = RanxRun(chosen)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NumbaTypeSafetyWarning)
            evaluate(qrels, ranx_run, names, return_mean=False, make_comparable=True)
        return {name: dict(ranx_run.scores[name]) for name in names}

    numeric = pd.api.types.is_integer_dtype(recs["item_id"])
    for candidate, run in library_runs(recs).items():
        ordered = {user: _ranx_order(items, max(ks), numeric) for user, items in run.items()}
        values = scores(ordered, [f"{name}@{k}{level}" for name in at_k.values() for k in ks]
                        + [f"r-precision{level}"])
        # ranx 0.3.21's bpref of a query changes with the queries evaluated beside it (a
        # user scoring 1 alone scores 0 next to one whose bpref is 0 / 0): one at a time
        values[f"bpref{level}"] = {user: scores(ordered, [f"bpref{level}", f"hits@1{level}"], [user])
                                   [f"bpref{level}"][user] for user in qrels_dict}
        for ours, name in at_k.items():
            for k in ks:
                rows.extend((candidate, user, ours, k, v) for user, v in values[f"{name}@{k}{level}"].items())
        rows.extend((candidate, user, "r_precision", None, v) for user, v in values[f"r-precision{level}"].items())
        rows.extend((candidate, user, "bpref", None, v) for user, v in values[f"bpref{level}"].items())
        for k in ks if scale == 1 else ():
            cut = {user: dict(list(items.items())[:k]) for user, items in ordered.items()}
            name = f"rbp.{digits}{level}"
            rows.extend((candidate, user, "rbp", k, v) for user, v in scores(cut, [name, f"hits@1{level}"])[name].items())
    return _frame(rows)


def _ranx_order(items: dict[str, float], top: int, numeric_ids: bool) -> dict[str, float]:
    """The first `top` items in evalhouse's order (score descending, then item_id
    descending in its own type: integer ids as numbers), as strictly decreasing scores:
    ranx has no order of its own among ties."""
    by_id = sorted(items, key=int if numeric_ids else str, reverse=True)
    order = sorted(by_id, key=lambda doc: -items[doc])[:top]
    return {doc: float(len(order) - i) for i, doc in enumerate(order)}
