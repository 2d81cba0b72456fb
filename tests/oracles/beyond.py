"""Hand-written oracles of the beyond-accuracy metrics, each as its source defines it
(docs/metrics.md, "Beyond accuracy"): Microsoft Recommenders' catalog_coverage,
distributional_coverage and novelty in their pandas form, RecBole's get_gini and Shannon
entropy, recmetrics' personalization as a plain loop over every pair of users (the O(n^2)
reference for the per-item sum in SQL), RecTools' inverse user frequency, Intersection and
Serendipity, ILD with scikit-learn's cosine_similarity on genre vectors, calibration_kl
with scipy's entropy; and `reference`, every metric of a case at once.
tests/test_beyond_accuracy.py checks the SQL against them.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import entropy
from sklearn.metrics.pairwise import cosine_similarity

from .ranking import normalize_recs
from .side_data import Genres

ALPHA = 0.01  # calibration_kl's a (Steck 2018)
GLOBAL_METRICS = ("catalog_coverage", "distributional_coverage", "user_coverage", "gini", "personalization",
                  "novelty", "shannon_entropy")
USER_METRICS = ("ild", "category_diversity", "avg_popularity", "seen_rate", "calibration_kl", "novelty",
                "inverse_user_frequency", "tail_share", "serendipity")
LONG_TAIL_RATIO = 0.8  # the default of var long_tail_ratio
MEAN_METRICS = tuple(m for m in USER_METRICS if m != "novelty")


def recommenders_catalog_coverage(train_df: pd.DataFrame, reco_df: pd.DataFrame) -> float:
    """Microsoft Recommenders: distinct recommended items / distinct train items."""
    return reco_df["item"].nunique() / train_df["item"].nunique()


def recommenders_distributional_coverage(reco_df: pd.DataFrame) -> float:
    """Microsoft Recommenders: entropy (log2) of the items' share of the recommendations."""
    p = reco_df.groupby("item").size() / len(reco_df)
    return float(-(p * np.log2(p)).sum())


def recommenders_novelty(train_df: pd.DataFrame, reco_df: pd.DataFrame) -> float:
    """Microsoft Recommenders: sum over recommended items of count x -log2(train share) / all rows;
    items unseen in train drop out of the sum (inner merge) but stay in the denominator."""
    n_records = len(train_df)
    item_novelty = (-np.log2(train_df.groupby("item").size() / n_records)).rename("item_novelty")
    reco_count = reco_df.groupby("item").size().rename("count")
    merged = pd.concat([reco_count, item_novelty], axis=1, join="inner")
    return float((merged["count"] * merged["item_novelty"]).sum() / len(reco_df))


def recbole_shannon_entropy(reco_df: pd.DataFrame) -> float:
    """RecBole's ShannonEntropy.get_entropy: -sum p ln p over the recommended items, p = the
    item's share of the rows, divided by the number of distinct items."""
    counts = Counter(reco_df["item"])
    total = len(reco_df)
    return float(sum(-c / total * np.log(c / total) for c in counts.values()) / len(counts))


def recbole_gini(item_matrix: list[str], num_items: int) -> float:
    """RecBole's GiniIndex.get_gini on the flat list of recommended items."""
    sorted_count = np.array(sorted(Counter(item_matrix).values()))
    num_recommended_items = sorted_count.shape[0]
    total_num = len(item_matrix)
    idx = np.arange(num_items - num_recommended_items + 1, num_items + 1)
    gini_index = np.sum((2 * idx - num_items - 1) * sorted_count) / total_num
    return float(gini_index / num_items)


def recmetrics_personalization(lists: list[list[str]]) -> float:
    """recmetrics: 1 - mean cosine similarity of the binary item vectors, every pair of users."""
    similarities = [
        len(set(a) & set(b)) / math.sqrt(len(set(a)) * len(set(b))) for a, b in itertools.combinations(lists, 2)
    ]
    return 1.0 - sum(similarities) / len(similarities)


def rectools_inverse_user_frequency(train_df: pd.DataFrame, items: list[str]) -> float:
    """RecTools' MeanInvUserFreq of one list: the mean of -log2(users(i) / n_users) over
    its items, users(i) = the distinct train users of item i (1 for an item unseen in train)."""
    users_per_item = train_df.groupby("item")["user"].nunique().to_dict()
    n_users = train_df["user"].nunique()
    return float(np.mean([-np.log2(users_per_item.get(i, 1) / n_users) for i in items]))


def recbole_tail_items(train_df: pd.DataFrame, tail_ratio: float) -> set[str]:
    """RecBole's TailPercentage tail for a ratio in (0, 1]: the first max(int(n x ratio), 1)
    train items by (interactions, id) ascending."""
    counts = sorted(train_df.groupby("item").size().to_dict().items(), key=lambda kv: (kv[1], kv[0]))
    return {item for item, _ in counts[: max(int(len(counts) * tail_ratio), 1)]}


def tail_share(train_df: pd.DataFrame, items: list[str], tail_ratio: float) -> float:
    """RecBole's per-user TailPercentage, over the list's own length, with items unseen in
    train in the tail too (RecBole's tail holds train items only)."""
    tail = recbole_tail_items(train_df, tail_ratio)
    train_items = set(train_df["item"])
    return sum(i in tail or i not in train_items for i in items) / len(items)


def rectools_intersection(lists: dict[Any, list[str]], reference_lists: dict[Any, list[str]]) -> dict[Any, float]:
    """RecTools' Intersection per user (its Recall@k of the reference lists against the
    candidate's top k as the interactions): the share of the user's top-k items that the
    reference's top k holds, for each user with a list (0 without a reference list)."""
    return {u: len(set(items) & set(reference_lists.get(u, []))) / len(items) for u, items in lists.items()}


def reference_intersection(recs: pd.DataFrame, labels: pd.DataFrame, k_values: list[int]) -> pd.DataFrame:
    """Rows (candidate, reference, metric, k, value, n_users): RecTools' calc (the mean over
    the users) for every ordered pair of candidates, over the users in labels."""
    normalized = normalize_recs(recs)
    normalized = normalized[normalized["user_id"].isin(set(labels["user_id"]))]
    candidates = sorted(normalize_recs(recs)["candidate"].unique())
    rows = []
    for k in k_values:
        top = normalized[normalized["rank"] <= k].sort_values(["user_id", "rank"])
        lists = {c: {u: [str(i) for i in g["item_id"]] for u, g in top[top["candidate"] == c].groupby("user_id")}
                 for c in candidates}
        for candidate, reference in itertools.permutations(candidates, 2):
            per_user = rectools_intersection(lists[candidate], lists[reference])
            if per_user:
                rows.append((candidate, reference, "intersection", k, float(np.mean(list(per_user.values()))),
                             len(per_user)))
    return pd.DataFrame(rows, columns=["candidate", "reference", "metric", "k", "value", "n_users"])


def rectools_serendipity(
    train_df: pd.DataFrame, ranked: list[tuple[int, str]], relevant: set[str], n_items: int | None = None
) -> float:
    """RecTools' Serendipity of one list of (rank, item): the mean over its rows of
    rel x max(p_user - p_any, 0), p_user = (n + 1 - rank) / n, p_any = (n + 1 - the item's
    popularity rank) / n (0 for an item unseen in train), n = the catalog (RecTools' own
    argument; ours: the train items); the popularity rank numbers the distinct interaction
    counts, largest first."""
    counts = train_df.groupby("item").size()
    rank_of_count = {count: index + 1 for index, count in enumerate(sorted(set(counts), reverse=True))}
    n = len(counts) if n_items is None else n_items
    values = []
    for rank, item in ranked:
        p_any = (n + 1 - rank_of_count[counts[item]]) / n if item in counts.index else 0.0
        values.append(max((n + 1 - rank) / n - p_any, 0.0) if item in relevant else 0.0)
    return float(np.mean(values))


def genre_vectors(items: list[str], genres: Genres) -> np.ndarray:
    return np.array([[1.0 if g in genres[i] else 0.0 for g in GENRE_UNIVERSE] for i in items])


def intra_list_diversity(items: list[str], genres: Genres) -> float | None:
    """Recommenders' diversity with item features: 1 - mean cosine over the list's item pairs."""
    with_genres = [i for i in items if i in genres]
    if len(with_genres) < 2:
        return None
    similarity = cosine_similarity(genre_vectors(with_genres, genres))
    upper = similarity[np.triu_indices(len(with_genres), k=1)]
    return float(1.0 - upper.mean())


def genre_distribution(items: list[str], genres: Genres) -> dict[str, float] | None:
    """Steck 2018's p(g|.) with uniform item weights: each item spreads 1 over its genres."""
    with_genres = [i for i in items if i in genres]
    if not with_genres:
        return None
    weights: dict[str, float] = {}
    for item in with_genres:
        for genre in genres[item]:
            weights[genre] = weights.get(genre, 0.0) + 1.0 / len(genres[item])
    return {g: w / len(with_genres) for g, w in weights.items()}


def calibration_kl(history: list[str], recommended: list[str], genres: Genres) -> float | None:
    """KL(p || (1 - a) q + a p) with scipy.stats.entropy (natural log)."""
    p, q = genre_distribution(history, genres), genre_distribution(recommended, genres)
    if p is None or q is None:
        return None
    support = sorted(set(p) | set(q))
    p_vec = np.array([p.get(g, 0.0) for g in support])
    q_vec = np.array([q.get(g, 0.0) for g in support])
    return float(entropy(p_vec, (1 - ALPHA) * q_vec + ALPHA * p_vec))


GENRE_UNIVERSE: list[str] = []


def reference(
    recs: pd.DataFrame, labels: pd.DataFrame, train: pd.DataFrame, genres: Genres, k_values: list[int],
    tail_ratio: float = LONG_TAIL_RATIO, rel_threshold: float = 1.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(metrics rows: candidate, metric, k, value, n_users; user rows: candidate, user_id, metric, k, value)."""
    GENRE_UNIVERSE[:] = sorted({g for gs in genres.values() for g in gs})
    normalized = normalize_recs(recs)
    label_users = set(labels["user_id"])
    train_df = pd.DataFrame({"user": train["user_id"].map(str), "item": train["item_id"].map(str)})
    train_counts = train_df.groupby("item").size().to_dict()
    seen = set(zip(train_df["user"], train_df["item"], strict=True))
    history = train_df.drop_duplicates().groupby("user")["item"].apply(list).to_dict()
    n_train = len(train_df)
    relevant_pairs = {(str(u), str(i)) for u, i, rel in zip(labels["user_id"], labels["item_id"], labels["relevance"],
                                                           strict=True) if rel >= rel_threshold}
    metric_rows, user_rows = [], []
    for candidate in sorted(normalized["candidate"].unique()):
        rows = normalized[(normalized["candidate"] == candidate) & normalized["user_id"].isin(label_users)]
        for k in k_values:
            top = rows[rows["rank"] <= k].sort_values(["user_id", "rank"])
            lists = {u: [str(i) for i in g["item_id"]] for u, g in top.groupby("user_id", sort=False)}
            ranks = {u: list(g["rank"]) for u, g in top.groupby("user_id", sort=False)}
            reco_df = pd.DataFrame([(str(u), i) for u, items in lists.items() for i in items],
                                   columns=["user", "item"])

            def add(metric: str, value: float, n_users: int, candidate: str = candidate, k: int = k) -> None:
                metric_rows.append((candidate, metric, k, value, n_users))

            add("catalog_coverage", recommenders_catalog_coverage(train_df, reco_df) if len(reco_df) else 0.0,
                len(lists))
            add("user_coverage", len(lists) / len(label_users), len(label_users))
            if len(reco_df):
                add("distributional_coverage", recommenders_distributional_coverage(reco_df), len(lists))
                add("novelty", recommenders_novelty(train_df, reco_df), len(lists))
                add("shannon_entropy", recbole_shannon_entropy(reco_df), len(lists))
                catalog = set(train_df["item"]) | set(reco_df["item"])
                add("gini", recbole_gini(list(reco_df["item"]), len(catalog)), len(lists))
            if len(lists) >= 2:
                add("personalization", recmetrics_personalization(list(lists.values())), len(lists))

            per_user: dict[str, list[float]] = {m: [] for m in MEAN_METRICS}
            for user, items in lists.items():
                values = {
                    "avg_popularity": sum(train_counts.get(i, 0) for i in items) / len(items),
                    "seen_rate": sum((str(user), i) in seen for i in items) / len(items),
                    "novelty": sum(-math.log2(train_counts[i] / n_train) if i in train_counts else 0.0
                                   for i in items) / len(items),
                    "category_diversity": float(len(set().union(*(genres[i] for i in items if i in genres))))
                    if any(i in genres for i in items) else None,
                    "ild": intra_list_diversity(items, genres),
                    "calibration_kl": calibration_kl(history.get(str(user), []), items, genres),
                    "inverse_user_frequency": rectools_inverse_user_frequency(train_df, items),
                    "tail_share": tail_share(train_df, items, tail_ratio),
                    "serendipity": rectools_serendipity(
                        train_df, list(zip(ranks[user], items, strict=True)),
                        {i for i in items if (str(user), i) in relevant_pairs}),
                }
                for metric, value in values.items():
                    if value is not None:
                        user_rows.append((candidate, user, metric, k, value))
                        if metric in per_user:
                            per_user[metric].append(value)
            for metric, values in per_user.items():
                if values:
                    add(metric, sum(values) / len(values), len(values))
    metrics = pd.DataFrame(metric_rows, columns=["candidate", "metric", "k", "value", "n_users"])
    users = pd.DataFrame(user_rows, columns=["candidate", "user_id", "metric", "k", "value"])
    return metrics, users
