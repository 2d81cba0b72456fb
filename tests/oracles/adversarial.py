"""Seeded (recs, labels) generators for the cases where metric code usually goes wrong.

Each generator takes a seed and returns ``(recs, labels)``:

* recs: candidate, user_id, item_id, and rank and/or score;
* labels: user_id, item_id, relevance, ts.

``ADVERSARIAL_CASES`` names them for ``pytest.mark.parametrize``; ``CASE_SETTINGS``
holds the cut-offs and threshold each case is meant to be evaluated with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

Case = tuple[pd.DataFrame, pd.DataFrame]
RECS_COLUMNS = ["candidate", "user_id", "item_id", "rank", "score"]
LABEL_COLUMNS = ["user_id", "item_id", "relevance", "ts"]


@dataclass(frozen=True)
class CaseSettings:
    k_values: tuple[int, ...] = (1, 3, 5, 10)
    rel_threshold: float = 1.0


def _recs(rows: list[tuple], with_rank: bool = True, with_score: bool = True) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=RECS_COLUMNS)
    if not with_rank:
        frame = frame.drop(columns="rank")
    if not with_score:
        frame = frame.drop(columns="score")
    return frame


def _labels(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=LABEL_COLUMNS)


def _pick(rng: np.random.Generator, pool: list, size: int) -> list:
    """`size` distinct elements of pool in random order (as plain Python objects)."""
    return [pool[i] for i in rng.choice(len(pool), size=min(size, len(pool)), replace=False)]


def _labels_overlapping(
    rng: np.random.Generator,
    lists: dict,
    users: list,
    items: list,
    relevances: list,
    per_user: tuple[int, int] = (1, 6),
) -> pd.DataFrame:
    """Labels that hit the users' lists often enough to make the metrics non-trivial."""
    rows = []
    for user in users:
        shown = sorted({item for (_, u), lst in lists.items() if u == user for item in lst}, key=str)
        pool = _pick(rng, shown, int(rng.integers(0, 4))) + _pick(rng, items, 6)
        chosen = list(dict.fromkeys(pool))[: int(rng.integers(*per_user))]
        for ts, item in enumerate(chosen):
            rows.append((user, item, relevances[int(rng.integers(len(relevances)))], ts))
    return _labels(rows)


def _random_lists(
    rng: np.random.Generator,
    candidates: list,
    users: list,
    items: list,
    length: tuple[int, int],
) -> dict:
    """{(candidate, user): [item, ...]} in shown order; length drawn in [low, high)."""
    return {(c, u): _pick(rng, items, int(rng.integers(*length))) for c in candidates for u in users}


def _ranked_rows(lists: dict) -> list[tuple]:
    return [
        (c, u, item, rank, 1.0 / rank)
        for (c, u), lst in lists.items()
        for rank, item in enumerate(lst, start=1)
    ]


def tied_scores(seed: int) -> Case:
    """Score only, few distinct score values: order comes from the item_id tie rule."""
    rng = np.random.default_rng(seed)
    items = [f"i{n}" for n in range(1, 31)]  # "i9" > "i30" > "i3" as strings
    users = [f"u{n}" for n in range(1, 9)]
    lists = _random_lists(rng, ["pop", "rnd"], users, items, (6, 13))
    rows = [
        (c, u, item, None, float(rng.choice([0.25, 0.5, 0.75])))
        for (c, u), lst in lists.items()
        for item in lst
    ]
    return _recs(rows, with_rank=False), _labels_overlapping(rng, lists, users, items, [1])


def duplicated_rows(seed: int) -> Case:
    """Some (candidate, user, item) rows repeated at other ranks; best rank must win."""
    rng = np.random.default_rng(seed)
    items = [f"m{n:02d}" for n in range(40)]
    users = [f"u{n}" for n in range(8)]
    lists = _random_lists(rng, ["a", "b"], users, items, (4, 10))
    shown = {}
    for key, lst in lists.items():
        repeats = [lst[int(i)] for i in rng.integers(0, len(lst), size=int(rng.integers(1, 4)))]
        order = [*lst, *repeats]
        rng.shuffle(order)
        shown[key] = order
    rows = _ranked_rows(shown)
    order = rng.permutation(len(rows))  # row order must not matter
    recs = _recs([rows[i] for i in order])
    return recs, _labels_overlapping(rng, lists, users, items, [1, 2, 3])


def short_lists(seed: int) -> Case:
    """Lists of 0 to 3 items evaluated at K up to 10 (precision counts the padding)."""
    rng = np.random.default_rng(seed)
    items = [f"s{n}" for n in range(25)]
    users = [f"u{n}" for n in range(10)]
    lists = _random_lists(rng, ["short"], users, items, (0, 4))
    return _recs(_ranked_rows(lists)), _labels_overlapping(rng, lists, users, items, [1])


def users_without_relevant(seed: int) -> Case:
    """Graded labels at threshold 3: some users have only items below it."""
    rng = np.random.default_rng(seed)
    items = [f"w{n}" for n in range(30)]
    users = [f"u{n}" for n in range(12)]
    lists = _random_lists(rng, ["c1", "c2"], users, items, (3, 9))
    labels = _labels_overlapping(rng, lists, users, items, [0, 1, 2, 3, 4, 5])
    # Make sure a few users have labels but nothing relevant.
    low = labels["user_id"].isin(users[:3])
    labels.loc[low, "relevance"] = labels.loc[low, "relevance"].clip(upper=2)
    return _recs(_ranked_rows(lists)), labels


def relevant_users_without_list(seed: int) -> Case:
    """Users with relevant items but no list, in one or in every candidate."""
    rng = np.random.default_rng(seed)
    items = [f"n{n}" for n in range(30)]
    users = [f"u{n}" for n in range(12)]
    lists = _random_lists(rng, ["x", "y"], users, items, (2, 8))
    labels = _labels_overlapping(rng, lists, users, items, [1, 2])
    for user in users[:3]:  # no list anywhere
        lists.pop(("x", user))
        lists.pop(("y", user))
    for user in users[3:5]:  # a list in "y" only
        lists.pop(("x", user))
    return _recs(_ranked_rows(lists)), labels


def graded_integer(seed: int) -> Case:
    """Integer relevance 0..5 (0 rows are judged non-relevant), threshold 1."""
    rng = np.random.default_rng(seed)
    items = [f"g{n}" for n in range(30)]
    users = [f"u{n}" for n in range(10)]
    lists = _random_lists(rng, ["m1", "m2"], users, items, (3, 12))
    labels = _labels_overlapping(rng, lists, users, items, [0, 1, 2, 3, 4, 5], (2, 8))
    return _recs(_ranked_rows(lists)), labels


def half_star(seed: int) -> Case:
    """Half-star ratings 0.5..5.0 with the demo threshold 4.0."""
    rng = np.random.default_rng(seed)
    items = [f"h{n}" for n in range(30)]
    users = [f"u{n}" for n in range(10)]
    lists = _random_lists(rng, ["m1", "m2"], users, items, (3, 12))
    stars = [x / 2 for x in range(1, 11)]
    labels = _labels_overlapping(rng, lists, users, items, stars, (2, 9))
    return _recs(_ranked_rows(lists)), labels


def non_ascii_ids(seed: int) -> Case:
    """Non-ASCII user and item ids, score only with ties (code-point tie order)."""
    rng = np.random.default_rng(seed)
    items = ["アイテム", "élément", "项目", "Ωmega", "a", "B", "ß", "ñu", "z", "ÿ", "日本", "x1"]
    users = ["usér_ñ", "ユーザー", "用户", "ü", "plain"]
    lists = _random_lists(rng, ["ñ-model", "モデル"], users, items, (3, 9))
    rows = [
        (c, u, item, None, float(rng.choice([1.0, 2.0]))) for (c, u), lst in lists.items() for item in lst
    ]
    return _recs(rows, with_rank=False), _labels_overlapping(rng, lists, users, items, [1, 2])


def k_beyond_lists(seed: int) -> Case:
    """Every list is shorter than the smallest K."""
    rng = np.random.default_rng(seed)
    items = [f"k{n}" for n in range(20)]
    users = [f"u{n}" for n in range(8)]
    lists = _random_lists(rng, ["tiny"], users, items, (1, 5))
    return _recs(_ranked_rows(lists)), _labels_overlapping(rng, lists, users, items, [1, 2])


def multiple_candidates(seed: int) -> Case:
    """Four candidates: full, sparse, one that only serves users without labels."""
    rng = np.random.default_rng(seed)
    items = [f"c{n}" for n in range(30)]
    users = [f"u{n}" for n in range(10)]
    lists = _random_lists(rng, ["full", "other"], users, items, (5, 11))
    sparse = _random_lists(rng, ["sparse"], users[::3], items, (2, 6))
    ghost = _random_lists(rng, ["ghost"], ["nobody1", "nobody2"], items, (3, 5))
    labels = _labels_overlapping(rng, lists, users, items, [1, 2, 3])
    return _recs(_ranked_rows({**lists, **sparse, **ghost})), labels


def rank_gaps(seed: int) -> Case:
    """Explicit ranks with holes (1, 2, 5, 9...): formulas use the rank value."""
    rng = np.random.default_rng(seed)
    items = [f"r{n}" for n in range(30)]
    users = [f"u{n}" for n in range(8)]
    lists = _random_lists(rng, ["gappy"], users, items, (2, 8))
    rows = []
    for (c, u), lst in lists.items():
        ranks = sorted(int(r) for r in rng.choice(np.arange(1, 16), size=len(lst), replace=False))
        rows.extend((c, u, item, rank, 1.0 / rank) for item, rank in zip(lst, ranks, strict=True))
    return _recs(rows), _labels_overlapping(rng, lists, users, items, [1, 3])


def integer_ids(seed: int) -> Case:
    """Integer user and item ids (MovieLens style), ranks given."""
    rng = np.random.default_rng(seed)
    items = list(range(1, 60))
    users = list(range(1, 11))
    lists = _random_lists(rng, ["pop"], users, items, (3, 12))
    return _recs(_ranked_rows(lists)), _labels_overlapping(rng, lists, users, items, [1, 2])


def kitchen_sink(seed: int) -> Case:
    """Score-only duplicates with ties, missing lists, graded labels, all at once.

    A duplicated item shown at two scores keeps the better position, leaving a gap.
    """
    rng = np.random.default_rng(seed)
    items = [f"q{n}" for n in range(25)]
    users = [f"u{n}" for n in range(10)]
    lists = _random_lists(rng, ["p", "q", "r"], users, items, (0, 10))
    rows = []
    for (c, u), lst in lists.items():
        for item in [*lst, *_pick(rng, lst, int(rng.integers(0, 3)))]:
            rows.append((c, u, item, None, float(rng.choice([0.1, 0.2, 0.3, 0.4]))))
    labels = _labels_overlapping(rng, lists, users, items, [0, 1, 2, 4])
    labels = pd.concat([labels, labels.head(5).assign(relevance=5)])  # duplicate labels
    return _recs(rows, with_rank=False), labels


def _synthetic_ratings(rng: np.random.Generator, n_users: int, n_items: int) -> pd.DataFrame:
    """MovieLens-shaped ratings: popularity-skewed items, half stars, timestamps."""
    popularity = 1.0 / np.arange(1, n_items + 1) ** 0.8
    popularity /= popularity.sum()
    quality = rng.normal(0.0, 0.6, size=n_items)
    rows = []
    for user in range(1, n_users + 1):
        n = int(rng.integers(15, 50))
        seen = rng.choice(n_items, size=n, replace=False, p=popularity)
        for ts, item in enumerate(seen):
            rating = np.clip(np.round((3.5 + quality[item] + rng.normal(0, 0.8)) * 2) / 2, 0.5, 5.0)
            rows.append((user, int(item) + 1, float(rating), 1_000_000 + 100 * user + ts))
    return pd.DataFrame(rows, columns=["userId", "movieId", "rating", "timestamp"])


def movielens_like(
    seed: int,
    ratings: pd.DataFrame | None = None,
    max_users: int = 40,
    list_length: int = 20,
) -> Case:
    """A realistic case: a per-user temporal split of ratings and three recommenders.

    ``ratings`` has MovieLens columns (userId, movieId, rating, timestamp); without it
    a synthetic table of the same shape is used. At most ``max_users`` users (a seeded
    sample) are kept so the Python oracle stays fast. Labels are each user's last 20%
    of ratings (relevance = rating, evaluated at threshold 4.0). Candidates:
    most_popular (train counts, ranked), random (ranked), noisy_oracle (held-out items
    mixed into random ones, score only, rounded scores so ties occur).
    """
    rng = np.random.default_rng(seed)
    if ratings is None:
        ratings = _synthetic_ratings(rng, n_users=max_users, n_items=150)
    users = sorted(ratings["userId"].unique().tolist())
    if len(users) > max_users:
        users = sorted(_pick(rng, users, max_users))
    data = ratings[ratings["userId"].isin(users)].sort_values(["userId", "timestamp", "movieId"])

    train_parts, test_parts = [], []
    for _, group in data.groupby("userId", sort=True):
        n_test = max(1, len(group) // 5)
        train_parts.append(group.iloc[:-n_test])
        test_parts.append(group.iloc[-n_test:])
    train, test = pd.concat(train_parts), pd.concat(test_parts)
    catalog = sorted(data["movieId"].unique().tolist())
    counts = train["movieId"].value_counts()
    by_popularity = sorted(catalog, key=lambda m: (-int(counts.get(m, 0)), m))
    seen = train.groupby("userId")["movieId"].apply(set).to_dict()
    held_out = test.groupby("userId")["movieId"].apply(list).to_dict()

    rows = []
    for user in users:
        unseen = [m for m in catalog if m not in seen.get(user, set())]
        popular = [m for m in by_popularity if m not in seen.get(user, set())][:list_length]
        rows += [("most_popular", user, m, r, float(counts.get(m, 0))) for r, m in enumerate(popular, 1)]
        random_items = _pick(rng, unseen, list_length)
        rows += [("random", user, m, r, None) for r, m in enumerate(random_items, 1)]
        mixed = list(dict.fromkeys(_pick(rng, held_out.get(user, []), 3) + _pick(rng, unseen, list_length)))
        rows += [("noisy_oracle", user, m, None, round(float(rng.random()), 1)) for m in mixed[:list_length]]
    recs = pd.DataFrame(rows, columns=RECS_COLUMNS)
    # Ranks are given per list or not at all: "random" and "most_popular" have ranks,
    # "noisy_oracle" only scores (normalize_recs ranks it by score, then item_id).
    labels = test.rename(
        columns={"userId": "user_id", "movieId": "item_id", "rating": "relevance", "timestamp": "ts"}
    )[LABEL_COLUMNS].reset_index(drop=True)
    return recs, labels


ADVERSARIAL_CASES: dict[str, Callable[[int], Case]] = {
    "tied_scores": tied_scores,
    "duplicated_rows": duplicated_rows,
    "short_lists": short_lists,
    "users_without_relevant": users_without_relevant,
    "relevant_users_without_list": relevant_users_without_list,
    "graded_integer": graded_integer,
    "half_star": half_star,
    "non_ascii_ids": non_ascii_ids,
    "k_beyond_lists": k_beyond_lists,
    "multiple_candidates": multiple_candidates,
    "rank_gaps": rank_gaps,
    "integer_ids": integer_ids,
    "kitchen_sink": kitchen_sink,
    "movielens_like": movielens_like,
}

CASE_SETTINGS: dict[str, CaseSettings] = {
    "users_without_relevant": CaseSettings(rel_threshold=3.0),
    "half_star": CaseSettings(rel_threshold=4.0),
    "k_beyond_lists": CaseSettings(k_values=(5, 10, 20)),
    "movielens_like": CaseSettings(k_values=(1, 5, 10, 20), rel_threshold=4.0),
}


def case_settings(name: str) -> CaseSettings:
    """Cut-offs and threshold for a case (defaults unless the case needs others)."""
    return CASE_SETTINGS.get(name, CaseSettings())
