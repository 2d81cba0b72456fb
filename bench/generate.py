"""A seeded recommendation workload, written straight to Parquet in chunks of users.

    python bench/generate.py --users 100000 --out bench/data/100k

writes `recs.parquet` (user_id, item_id, rank, score: one ranked list of `--list-length`
items per user) and `labels.parquet` (user_id, item_id, relevance: the held-out items), and
with `--train` a `train.parquet` (user_id, item_id: 1 to 40 earlier interactions per user,
by popularity) for the beyond-accuracy metrics; `generate_candidate` adds a second (third,
...) candidate's file `recs_<n>.parquet` for the same users, from its own seeded stream.

- Items: max(10,000, users / 2), with a Zipf-like popularity p_i ~ 1 / i^0.9 over a
  seeded shuffle of the item ids (popularity does not follow the id order).
- Lists: each user's items are drawn from that popularity without repeats; the order of
  the draw is the rank (popular items tend to rank high), score = (length + 1 - rank) / 100.
- Labels: 1 to 20 held-out items per user (uniform), each taken from the user's own list
  with probability 0.35 (at a rank skewed to the top) and otherwise drawn from the
  popularity, so some are hits and some are not; graded relevance 1..5. About 5% of the
  users have labels with relevance 0 only: users without a relevant item.

The same seed and size give the same files. Users are generated in chunks
(`--chunk-users`), each chunk from its own seeded stream, so 10M users never sit in
memory: the peak is about one chunk.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ZIPF_EXPONENT = 0.9
MAX_RELEVANT = 20
FROM_LIST_SHARE = 0.35
NO_RELEVANT_SHARE = 0.05
ROW_GROUP_ROWS = 1_000_000

RECS_SCHEMA = pa.schema([("user_id", pa.int64()), ("item_id", pa.int64()), ("rank", pa.int32()),
                         ("score", pa.float32())])
LABELS_SCHEMA = pa.schema([("user_id", pa.int64()), ("item_id", pa.int64()), ("relevance", pa.float64())])
TRAIN_SCHEMA = pa.schema([("user_id", pa.int64()), ("item_id", pa.int64())])
MAX_TRAIN = 40


def n_items_for(users: int) -> int:
    return max(10_000, users // 2)


def popularity(n_items: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The cumulative Zipf-like popularity by popularity position, and the item id at each position."""
    weights = 1.0 / np.arange(1, n_items + 1, dtype=np.float64) ** ZIPF_EXPONENT
    cdf = np.cumsum(weights)
    cdf /= cdf[-1]
    ids = np.random.default_rng([seed, 0]).permutation(n_items).astype(np.int64) + 1
    return cdf, ids


def first_occurrences(values: np.ndarray) -> np.ndarray:
    """Per row of a 2-d array: True where a value occurs for the first time in its row."""
    rows, width = values.shape
    keys = np.arange(rows, dtype=np.int64)[:, None] * (int(values.max()) + 1) + values
    flat = keys.ravel()
    order = np.argsort(flat, kind="stable")
    ordered = flat[order]
    first_sorted = np.empty(len(flat), dtype=bool)
    first_sorted[0] = True
    first_sorted[1:] = ordered[1:] != ordered[:-1]
    first = np.empty(len(flat), dtype=bool)
    first[order] = first_sorted
    return first.reshape(rows, width)


def draw_lists(rng: np.random.Generator, cdf: np.ndarray, n_users: int, length: int) -> np.ndarray:
    """(n_users, length) item positions drawn by popularity, without repeats within a row."""
    out = np.empty((n_users, length), dtype=np.int64)
    pending = np.arange(n_users)
    draws = length * 2
    while len(pending):
        sample = np.searchsorted(cdf, rng.random((len(pending), draws)), side="right")
        sample = np.minimum(sample, len(cdf) - 1)
        first = first_occurrences(sample)
        kept = first & (np.cumsum(first, axis=1) <= length)
        full = kept.sum(axis=1) == length
        out[pending[full]] = sample[full][kept[full]].reshape(-1, length)
        pending = pending[~full]
        draws *= 2
    return out


def draw_labels(rng: np.random.Generator, cdf: np.ndarray, lists: np.ndarray) -> tuple[np.ndarray, ...]:
    """(row in chunk, item position, relevance) of the held-out labels of a chunk of users."""
    n_users, length = lists.shape
    n_labels = rng.integers(1, MAX_RELEVANT + 1, size=n_users)
    from_list = rng.random((n_users, MAX_RELEVANT)) < FROM_LIST_SHARE
    list_rank = np.minimum((length * rng.random((n_users, MAX_RELEVANT)) ** 1.5).astype(np.int64), length - 1)
    in_list = np.take_along_axis(lists, list_rank, axis=1)
    by_popularity = np.minimum(np.searchsorted(cdf, rng.random((n_users, MAX_RELEVANT)), side="right"),
                               len(cdf) - 1)
    items = np.where(from_list, in_list, by_popularity)
    keep = first_occurrences(items) & (np.arange(MAX_RELEVANT)[None, :] < n_labels[:, None])
    relevance = rng.integers(1, 6, size=(n_users, MAX_RELEVANT)).astype(np.float64)
    no_relevant = rng.random(n_users) < NO_RELEVANT_SHARE
    relevance[no_relevant] = 0.0
    rows = np.broadcast_to(np.arange(n_users)[:, None], items.shape)
    return rows[keep], items[keep], relevance[keep]


def draw_train(rng: np.random.Generator, cdf: np.ndarray, n_users: int) -> tuple[np.ndarray, np.ndarray]:
    """(row in chunk, item position) of 1 to MAX_TRAIN earlier interactions per user, by popularity."""
    n_train = rng.integers(1, MAX_TRAIN + 1, size=n_users)
    items = np.minimum(np.searchsorted(cdf, rng.random((n_users, MAX_TRAIN)), side="right"), len(cdf) - 1)
    keep = first_occurrences(items) & (np.arange(MAX_TRAIN)[None, :] < n_train[:, None])
    rows = np.broadcast_to(np.arange(n_users)[:, None], items.shape)
    return rows[keep], items[keep]


def generate(users: int, out: Path, seed: int = 42, length: int = 100, chunk_users: int = 50_000,
             with_train: bool = False) -> dict:
    """Write recs.parquet and labels.parquet (and train.parquet: user_id, item_id, with_train)."""
    out.mkdir(parents=True, exist_ok=True)
    n_items = n_items_for(users)
    cdf, ids = popularity(n_items, seed)
    recs_path, labels_path, train_path = out / "recs.parquet", out / "labels.parquet", out / "train.parquet"
    n_recs = n_labels = 0
    train_writer = pq.ParquetWriter(train_path, TRAIN_SCHEMA) if with_train else None
    with pq.ParquetWriter(recs_path, RECS_SCHEMA) as recs_writer, \
            pq.ParquetWriter(labels_path, LABELS_SCHEMA) as labels_writer:
        for chunk, first_user in enumerate(range(0, users, chunk_users)):
            n = min(chunk_users, users - first_user)
            rng = np.random.default_rng([seed, 1, chunk])
            lists = draw_lists(rng, cdf, n, length)
            user_ids = np.arange(first_user + 1, first_user + n + 1, dtype=np.int64)
            ranks = np.tile(np.arange(1, length + 1, dtype=np.int32), n)
            recs = pa.table({
                "user_id": np.repeat(user_ids, length),
                "item_id": ids[lists.ravel()],
                "rank": ranks,
                "score": ((length + 1 - ranks) / 100).astype(np.float32),
            }, schema=RECS_SCHEMA)
            recs_writer.write_table(recs, row_group_size=ROW_GROUP_ROWS)
            rows, items, relevance = draw_labels(rng, cdf, lists)
            labels = pa.table({"user_id": user_ids[rows], "item_id": ids[items], "relevance": relevance},
                              schema=LABELS_SCHEMA)
            labels_writer.write_table(labels, row_group_size=ROW_GROUP_ROWS)
            n_recs += recs.num_rows
            n_labels += labels.num_rows
            if train_writer is not None:
                rows, items = draw_train(np.random.default_rng([seed, 2, chunk]), cdf, n)
                train_writer.write_table(pa.table({"user_id": user_ids[rows], "item_id": ids[items]},
                                                  schema=TRAIN_SCHEMA), row_group_size=ROW_GROUP_ROWS)
    if train_writer is not None:
        train_writer.close()
    return {"users": users, "items": n_items, "recs_rows": n_recs, "label_rows": n_labels,
            "recs": str(recs_path), "labels": str(labels_path)}


def candidate_path(out: Path, index: int) -> Path:
    """recs.parquet for the first candidate, recs_<index>.parquet for the others."""
    return out / ("recs.parquet" if index == 1 else f"recs_{index}.parquet")


def generate_candidate(users: int, out: Path, index: int, seed: int = 42, length: int = 100,
                       chunk_users: int = 50_000) -> Path:
    """Write candidate `index` (2, 3, ...): another ranked list per user, drawn from the same
    popularity as recs.parquet but from its own stream, so two candidates share some items
    (as two models of one catalogue do) and differ in the rest."""
    n_items = n_items_for(users)
    cdf, ids = popularity(n_items, seed)
    path = candidate_path(out, index)
    with pq.ParquetWriter(path, RECS_SCHEMA) as writer:
        for chunk, first_user in enumerate(range(0, users, chunk_users)):
            n = min(chunk_users, users - first_user)
            lists = draw_lists(np.random.default_rng([seed, 2 + index, chunk]), cdf, n, length)
            user_ids = np.arange(first_user + 1, first_user + n + 1, dtype=np.int64)
            ranks = np.tile(np.arange(1, length + 1, dtype=np.int32), n)
            writer.write_table(pa.table({
                "user_id": np.repeat(user_ids, length),
                "item_id": ids[lists.ravel()],
                "rank": ranks,
                "score": ((length + 1 - ranks) / 100).astype(np.float32),
            }, schema=RECS_SCHEMA), row_group_size=ROW_GROUP_ROWS)
    return path


def parse_count(text: str) -> int:
    """10k, 1M, 300000 -> an integer."""
    text = text.strip().lower().replace("_", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if scale > 1 else text) * scale)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", required=True, type=parse_count, help="number of users: 10k, 1M, 300000")
    parser.add_argument("--out", required=True, type=Path, help="folder for recs.parquet and labels.parquet")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--list-length", type=int, default=100)
    parser.add_argument("--chunk-users", type=int, default=50_000)
    parser.add_argument("--train", action="store_true", help="also write train.parquet (for the beyond-accuracy metrics)")
    args = parser.parse_args()
    started = time.perf_counter()
    summary = generate(args.users, args.out, args.seed, args.list_length, args.chunk_users, args.train)
    print(f"{summary['users']:,} users, {summary['items']:,} items: {summary['recs_rows']:,} recommendations, "
          f"{summary['label_rows']:,} labels in {time.perf_counter() - started:.1f}s -> {args.out}")


if __name__ == "__main__":
    main()
