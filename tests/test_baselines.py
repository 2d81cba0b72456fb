"""The popular and popular_recent baselines equal a pandas oracle: per user, the global
ranking (train interactions, ties by item_id; recent ones first for popular_recent) less
what the user had in train, cut at max(k_values), ranked 1..n. Adversarial: users who saw
the top items (all of them, none, every other one), duplicated train rows, a user without
train, a catalog smaller than max(k) + the items seen, text item ids; and exclude_seen off.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from evaluation_project import build, frame, write_project_yml, write_table

from evalhouse import Project

MAX_K = 5
RECENT_DAYS = 10


def train_rows() -> pd.DataFrame:
    day = 86400
    rows = []
    # popularity: i01 x6, i02 x5, ... (ties: i07 and i08 both x1, i09 never in train)
    counts = {"i01": 6, "i02": 5, "i03": 4, "i04": 3, "i05": 2, "i06": 2, "i07": 1, "i08": 1}
    user = 0
    for item, count in counts.items():
        for n in range(count):
            user += 1
            rows.append((f"t{user % 5}", item, (100 - n * 7 - len(item)) * day))
    # u_top saw the four most popular items (one of them twice), u_odd every other one,
    # u_all every item of train
    rows += [("u_top", i, 50 * day) for i in ("i01", "i02", "i03", "i04", "i01")]
    rows += [("u_odd", i, 95 * day) for i in ("i01", "i03", "i05", "i07")]
    rows += [("u_all", i, 20 * day) for i in counts]
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "ts"])
    frame["ts"] = pd.to_datetime(frame["ts"], unit="s")
    return frame


def labels_rows() -> pd.DataFrame:
    users = ["u_top", "u_odd", "u_all", "u_new", "t1"]
    return pd.DataFrame([(u, "i09", 1.0) for u in users], columns=["user_id", "item_id", "relevance"])


def oracle(train: pd.DataFrame, users: list[str], order: list[str], score: dict[str, int],
           exclude_seen: bool) -> pd.DataFrame:
    rows = []
    for user in users:
        seen = set(train.loc[train["user_id"] == user, "item_id"]) if exclude_seen else set()
        kept = [item for item in order if item not in seen][:MAX_K]
        rows += [(user, item, rank, float(score[item])) for rank, item in enumerate(kept, start=1)]
    return pd.DataFrame(rows, columns=["user_id", "item_id", "rank", "score"])


def rankings(train: pd.DataFrame) -> dict[str, tuple[list[str], dict[str, int]]]:
    counts = train.groupby("item_id").size()
    recent_after = train["ts"].max() - pd.Timedelta(days=RECENT_DAYS)
    recent = train[train["ts"] > recent_after].groupby("item_id").size().reindex(counts.index, fill_value=0)
    items = list(counts.index)
    by_count = sorted(items, key=lambda i: (-counts[i], i))
    by_recent = sorted(items, key=lambda i: (-recent[i], -counts[i], i))
    return {"popular": (by_count, counts.to_dict()), "popular_recent": (by_recent, recent.to_dict())}


@pytest.mark.parametrize("exclude_seen", [True, False])
def test_popular_baselines_equal_the_oracle(tiny: Path, exclude_seen: bool) -> None:
    train, labels = train_rows(), labels_rows()
    write_table(train, tiny / "train.parquet")
    write_table(labels, tiny / "labels.csv")

    def point_at_files(config: dict) -> None:
        config["evaluation"] = {"labels": "labels.csv", "train": "train.parquet",
                                "baselines": ["popular", "popular_recent"]}
        config["vars"].update({"k_values": [2, MAX_K], "rel_threshold": 1, "exclude_seen": exclude_seen,
                               "recent_days": RECENT_DAYS})

    write_project_yml(tiny, point_at_files)
    project = Project.load(tiny)
    result = build(project, ["+recs"])
    assert result.success, [(r.name, r.message) for r in result.results if r.status not in ("success", "pass")]
    for name, (order, score) in rankings(train).items():
        expected = oracle(train, sorted(labels["user_id"]), order, score, exclude_seen)
        actual = frame(project, f"select user_id, item_id, rank, score from baseline_recs where candidate = '{name}' "
                                "order by user_id, rank")
        pd.testing.assert_frame_equal(actual.reset_index(drop=True),
                                      expected.sort_values(["user_id", "rank"]).reset_index(drop=True),
                                      check_dtype=False)
    if exclude_seen:
        # u_all saw every item of train: nothing is left for it
        assert frame(project, "select count(*) as n from baseline_recs where user_id = 'u_all'")["n"].iloc[0] == 0
