"""Compare two long metric frames key by key, with a readable failure message."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd


def assert_frames_close(
    expected: pd.DataFrame,
    actual: pd.DataFrame,
    keys: Sequence[str] = ("candidate", "user_id", "metric", "k"),
    value: str = "value",
    atol: float = 1e-9,
) -> None:
    """Both frames must have the same keys (no missing, no extra, no duplicated rows)
    and values within ``atol`` of each other; NaN only matches NaN."""
    keys = list(keys)
    for name, frame in (("expected", expected), ("actual", actual)):
        duplicated = frame[frame.duplicated(keys, keep=False)]
        assert duplicated.empty, f"{name} has duplicated keys:\n{duplicated.head(10)}"
    merged = expected[[*keys, value]].merge(
        actual[[*keys, value]],
        on=keys,
        how="outer",
        suffixes=("_expected", "_actual"),
        indicator=True,
    )
    unmatched = merged[merged["_merge"] != "both"]
    assert unmatched.empty, (
        f"{len(unmatched)} keys present on one side only "
        f"(left_only = expected only):\n{unmatched.head(20).to_string()}"
    )
    left = merged[f"{value}_expected"].astype(float)
    right = merged[f"{value}_actual"].astype(float)
    both_nan = left.isna() & right.isna()
    wrong = merged[~both_nan & ~((left - right).abs() <= atol)]
    assert wrong.empty, f"{len(wrong)} values differ by more than {atol}:\n{wrong.head(20).to_string()}"
