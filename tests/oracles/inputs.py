"""Input conventions shared by the reference metrics and the library wrappers.

Everything here follows the "Inputs" section of docs/metrics.md. It is written as
plain Python over rows (not clever pandas) because it is the yardstick the SQL models
are measured against: a reader must be able to check it line by line.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable
from typing import Any

import pandas as pd

RECS_KEY = ["candidate", "user_id", "item_id"]
USER_METRIC_COLUMNS = ["candidate", "user_id", "metric", "k", "value"]

# A ranked list as the oracle sees it: (rank, item_id) pairs sorted by rank.
RankedList = list[tuple[int, Any]]


def _is_missing(value: Any) -> bool:
    """True for None, NaN and pandas' NA/NaT (what a SQL NULL becomes in a frame)."""
    return value is None or bool(pd.isna(value))


def _rank_from_scores(rows: list[dict[str, Any]]) -> None:
    """Give each row of one list a rank: score descending, then item_id descending.

    This is the trec_eval order (docs/metrics.md, "Inputs"). Two stable sorts make the
    rule explicit: sorting by the secondary key first and the primary key second keeps
    the secondary order inside groups of equal score. item_id is compared with its own
    type: numbers numerically, strings by code point (which equals the byte order of
    their UTF-8 encoding, i.e. trec_eval's strcmp).
    """
    for row in rows:
        if _is_missing(row["score"]):
            raise ValueError(
                f"list {row['candidate']!r}/{row['user_id']!r} has neither rank nor score on some row"
            )
    rows.sort(key=lambda row: row["item_id"], reverse=True)
    rows.sort(key=lambda row: float(row["score"]), reverse=True)
    for position, row in enumerate(rows, start=1):
        row["rank"] = position


def _checked_rank(row: dict[str, Any]) -> int:
    rank = row["rank"]
    if float(rank) != math.floor(float(rank)) or float(rank) < 1:
        raise ValueError(f"rank must be an integer >= 1, got {rank!r} in {row!r}")
    return int(rank)


def normalize_recs(recs: pd.DataFrame) -> pd.DataFrame:
    """Return recs with one integer ``rank`` per (candidate, user_id, item_id).

    Input columns: candidate, user_id, item_id and ``rank`` and/or ``score``.

    Conventions (decisions are the oracle's, so the SQL must make the same ones):

    * A list (one candidate, one user) whose ranks are all missing is ranked by score
      descending, then item_id descending. A list where only some ranks are missing is
      ambiguous and raises ``ValueError``.
    * Ranks are derived from scores *before* duplicates are dropped, so a duplicated
      item occupies the positions the system showed it at.
    * Duplicated (candidate, user_id, item_id) rows keep the row with the best
      (smallest) rank. The surviving rank values are kept as they are, **not**
      renumbered: a list can then have gaps (ranks 1, 2, 4). ``rank`` is the position
      the system showed the item at, and every formula uses that position directly
      (precision@3 only looks at ranks <= 3, the discount is log2(rank + 1), ...).
    * Two different items sharing one rank in a list has no defined order and raises
      ``ValueError``; so does a rank below 1 or not a whole number.

    Output columns: candidate, user_id, item_id, rank (int), plus score when given;
    rows sorted by candidate, user_id, rank.
    """
    has_rank = "rank" in recs.columns
    has_score = "score" in recs.columns
    if not (has_rank or has_score):
        raise ValueError("recs needs a rank or a score column")
    missing = [col for col in RECS_KEY if col not in recs.columns]
    if missing:
        raise ValueError(f"recs lacks columns {missing}")

    lists: dict[tuple[Hashable, Hashable], list[dict[str, Any]]] = {}
    for row in recs.to_dict("records"):
        row.setdefault("rank", None)
        row.setdefault("score", None)
        lists.setdefault((row["candidate"], row["user_id"]), []).append(row)

    out_rows: list[dict[str, Any]] = []
    for rows in lists.values():
        missing_ranks = sum(_is_missing(row["rank"]) for row in rows)
        if missing_ranks == len(rows):
            _rank_from_scores(rows)
        elif missing_ranks:
            raise ValueError(
                f"list {rows[0]['candidate']!r}/{rows[0]['user_id']!r} mixes rows with and without rank"
            )
        best: dict[Any, dict[str, Any]] = {}
        for row in rows:
            row["rank"] = _checked_rank(row)
            kept = best.get(row["item_id"])
            if kept is None or row["rank"] < kept["rank"]:
                best[row["item_id"]] = row
        ranks = [row["rank"] for row in best.values()]
        if len(set(ranks)) != len(ranks):
            raise ValueError(
                f"list {rows[0]['candidate']!r}/{rows[0]['user_id']!r} gives one rank to two different items"
            )
        out_rows.extend(sorted(best.values(), key=lambda row: row["rank"]))

    columns = [*RECS_KEY, "rank"] + (["score"] if has_score else [])
    out = pd.DataFrame(out_rows, columns=columns)
    out["rank"] = out["rank"].astype("int64")
    return out.sort_values(["candidate", "user_id", "rank"], kind="stable").reset_index(drop=True)


def label_relevance(labels: pd.DataFrame) -> dict[Hashable, dict[Any, float]]:
    """{user_id: {item_id: relevance}} with duplicate (user, item) rows keeping the max.

    Every user in labels appears, also those whose items are all below the threshold
    (they are needed to count ``users_without_relevant``). A missing relevance counts
    as not relevant (NaN compares false with any threshold).
    """
    by_user: dict[Hashable, dict[Any, float]] = {}
    for user, item, relevance in zip(labels["user_id"], labels["item_id"], labels["relevance"], strict=True):
        items = by_user.setdefault(user, {})
        value = float("nan") if _is_missing(relevance) else float(relevance)
        if item not in items or value > items[item] or math.isnan(items[item]):
            items[item] = value
    return by_user


def relevant_items(labels: pd.DataFrame, rel_threshold: float) -> dict[Hashable, dict[Any, float]]:
    """{user_id: {item_id: relevance}} of relevant items (relevance >= rel_threshold).

    Users with no relevant item are left out.
    """
    relevant: dict[Hashable, dict[Any, float]] = {}
    for user, items in label_relevance(labels).items():
        kept = {item: rel for item, rel in items.items() if rel >= rel_threshold}
        if kept:
            relevant[user] = kept
    return relevant


def users_without_relevant(labels: pd.DataFrame, rel_threshold: float) -> int:
    """Number of label users none of whose items reaches rel_threshold."""
    all_users = label_relevance(labels)
    return len(all_users) - len(relevant_items(labels, rel_threshold))


def ranked_lists(
    recs: pd.DataFrame,
) -> dict[tuple[Hashable, Hashable], RankedList]:
    """{(candidate, user_id): [(rank, item_id), ...] sorted by rank} from normalized recs."""
    lists: dict[tuple[Hashable, Hashable], RankedList] = {}
    for candidate, user, item, rank in zip(
        recs["candidate"], recs["user_id"], recs["item_id"], recs["rank"], strict=True
    ):
        lists.setdefault((candidate, user), []).append((int(rank), item))
    for ranked in lists.values():
        ranked.sort(key=lambda pair: pair[0])
    return lists


def sorted_unique(values: Iterable[Hashable]) -> list[Hashable]:
    """Distinct values in sorted order (deterministic output row order)."""
    return sorted(set(values))


def check_k_values(k_values: Iterable[int]) -> list[int]:
    """Distinct cut-offs in increasing order; each must be an integer >= 1."""
    ks = sorted({int(k) for k in k_values})
    if not ks or ks[0] < 1:
        raise ValueError(f"k_values must be integers >= 1, got {k_values!r}")
    return ks
