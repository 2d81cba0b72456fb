"""RecTools' and Microsoft Recommenders' beyond-accuracy metrics on our inputs, as a user of
each library would hand them over (run in the reference environment by refs_runner.py,
through refs.py's _run). Nothing is translated into evalhouse's conventions: the profile of
the same name must reproduce these numbers (tests/test_conventions_refs.py).

What each library gets, and why:

* The lists of the users in labels, ids as text, one row per (user, item) (its best rank,
  as refs.py's _lists decides), cut at max(k_values) as evalhouse reads them.
* RecTools takes ranks: the file's own (gaps left by a duplicate's copy included, as the
  `rectools` profile keeps them). Its test interactions (Serendipity's relevance,
  CoveredUsers' target users) are the relevant labels, one row per (user, item), as for its
  ranking metrics; the catalog (Serendipity's N, CatalogCoverage's divisor) is the train
  items; Intersection's reference is the reference candidate's whole lists (every user,
  cut at max(k_values)), as a RecTools user hands another model's recommendations over.
* Recommenders takes rows and cuts them itself: it gets each list's rows numbered 1..n in
  evalhouse's order (the `recommenders` profile renumbers positions), the rows within K for
  each K. Its functions refuse lists holding a (user, item) of train: the test gives it a
  train without the recommended pairs. Its diversity gets each item's categories as a 0/1
  vector (an item without one is left out of the frame: the library gives its pairs
  similarity 0), for the candidates recommending at most DIVERSITY_ITEM_LIMIT distinct
  items (the library pairs every item of the frame in Python, row by row).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from .refs import _lists, _relevant, _run

DIVERSITY_ITEM_LIMIT = 500


def _labelled_lists(recs: pd.DataFrame, labels: pd.DataFrame, top: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(every list cut at `top`, the lists of the users in labels), ids as text."""
    lists = _lists(recs, top).astype({"candidate": str, "user_id": str, "item_id": str})
    return lists, lists[lists["user_id"].isin(set(labels["user_id"].astype(str)))]


def _by_candidate(candidates: Iterable[str], lists: pd.DataFrame, column: str) -> dict[str, list]:
    """{candidate: [[user, item, column], ...]}, an empty list for a candidate without rows."""
    grouped = {str(c): rows[["user_id", "item_id", column]].values.tolist()
               for c, rows in lists.groupby("candidate", sort=True)}
    return {candidate: grouped.get(candidate, []) for candidate in sorted(candidates)}


def rectools_beyond_metrics(recs: pd.DataFrame, labels: pd.DataFrame, train: pd.DataFrame, k_values: Iterable[int],
                            threshold: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """RecTools' MeanInvUserFreq, AvgRecPopularity, Serendipity (per user and means),
    CatalogCoverage(normalize=True), CoveredUsers and Intersection (means; its candidate
    "<candidate> vs <reference>") in evalhouse's metric names."""
    k_values = sorted(set(k_values))
    every, labelled = _labelled_lists(recs, labels, max(k_values))
    candidates = {str(c) for c in recs["candidate"].unique()}
    truth = _relevant(labels, threshold)[["user_id", "item_id"]].values.tolist()
    return _run({"library": "rectools_beyond", "k_values": k_values,
                 "train": train[["user_id", "item_id"]].astype(str).values.tolist(), "truth": truth,
                 "reco": _by_candidate(candidates, labelled, "rank"),
                 "references": _by_candidate(candidates, every, "rank")})


def recommenders_beyond_metrics(recs: pd.DataFrame, labels: pd.DataFrame, train: pd.DataFrame,
                                features: dict[str, set[str]], k_values: Iterable[int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Recommenders' novelty, catalog_coverage, distributional_coverage (means) and
    diversity (`ild`, per user and means) in evalhouse's metric names."""
    k_values = sorted(set(k_values))
    _, lists = _labelled_lists(recs, labels, None)
    lists = lists.assign(position=lists.groupby(["candidate", "user_id"]).cumcount() + 1)
    lists = lists[lists["position"] <= max(k_values)]
    names = sorted({c for categories in features.values() for c in categories})
    vectors = {item: [float(name in categories) for name in names] for item, categories in features.items()}
    distinct = lists.groupby("candidate")["item_id"].nunique()
    return _run({"library": "recommenders_beyond", "k_values": k_values,
                 "train": train[["user_id", "item_id"]].astype(str).values.tolist(),
                 "reco": _by_candidate(set(lists["candidate"]), lists, "position"), "features": vectors,
                 "diversity": sorted(str(c) for c, n in distinct.items() if n <= DIVERSITY_ITEM_LIMIT)})
