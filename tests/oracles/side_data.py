"""The side files of an adversarial case (tests/oracles/adversarial.py) that the
beyond-accuracy metrics read: a train file and an items file, drawn from a seed, with the
edges those metrics must survive (items unseen in train, items only in train, repeated
interactions, users in labels without train rows, items without a category or missing from
the items file). Shared by tests/test_beyond_accuracy.py and tests/test_conventions_refs.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

GENRE_POOL = ["Action", "Comedy", "Drama", "Horror", "Romance"]

Genres = dict[str, set[str]]  # item id as text -> its genres (items with at least one)


def _new_id(example: Any, name: str, offset: int) -> Any:
    """An id of the same type as `example` that no case uses."""
    return int(1_000_000 + offset) if isinstance(example, (int, np.integer)) else f"{name}_{offset}"


def side_data(recs: pd.DataFrame, labels: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, Genres]:
    """A train file and an items file for a case: ~70% of its items in train plus items
    only in train, repeated interactions, users in labels without train rows; genres
    drawn from a small pool, some items with none listed, some missing from the items file."""
    rng = np.random.default_rng(seed)
    items = sorted({*recs["item_id"], *labels["item_id"]}, key=str)
    items += [_new_id(items[0], "train_only_item", n) for n in range(3)]
    train_items = [i for i in items if rng.random() < 0.7] or items[:1]
    users = sorted(set(labels["user_id"]), key=str)
    train_users = [u for u in users if rng.random() < 0.8] + [_new_id(users[0], "train_only_user", 0)]
    rows = []
    for user in train_users:
        picked = [train_items[int(i)] for i in rng.integers(0, len(train_items), size=int(rng.integers(1, 9)))]
        rows += [(user, item, pd.Timestamp("2020-01-01") + pd.Timedelta(days=len(rows))) for item in picked]
    train = pd.DataFrame(rows, columns=["user_id", "item_id", "ts"])

    listed_items, genres = [], {}
    for index, item in enumerate(items):
        draw = rng.random()
        if draw < 0.1:
            listed_items.append((str(item), ""))  # an item with no genre listed
        elif draw >= 0.2:
            chosen = sorted(rng.choice(GENRE_POOL, size=int(rng.integers(1, 4)), replace=False).tolist())
            listed = "Drama|Drama" if index == 1 else "|".join(chosen)  # a repeated genre counts once
            listed_items.append((str(item), listed))
            genres[str(item)] = set(listed.split("|"))
    return train, pd.DataFrame(listed_items, columns=["item_id", "genres"]), genres
