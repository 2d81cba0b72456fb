"""Compare floating values and long metric frames, with a readable failure message.

One tolerance rule for every comparison: two numbers are close when they differ by at most
``max(rtol * max(|a|, |b|), atol)`` (``math.isclose``'s rule), 1e-9 for both by default.
So values near 0 (every value up to 1) are held to an absolute 1e-9, and large ones (sums
of thousands of doubles, a MAPE, a latency) to a relative 1e-9, which is what adding the
same doubles in another order (a parallel sum) can move.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

RTOL = 1e-9
ATOL = 1e-9


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _floats(values: Any) -> np.ndarray:
    """A column as float64, None and NA as NaN."""
    return pd.to_numeric(pd.Series(values)).astype("Float64").to_numpy(dtype=float, na_value=np.nan)


def is_close(expected: Any, actual: Any, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """Two numbers within ``max(rtol * max(|a|, |b|), atol)`` of each other; a missing
    value (None, NaN) only matches a missing value."""
    if _missing(expected) or _missing(actual):
        return _missing(expected) and _missing(actual)
    return math.isclose(float(expected), float(actual), rel_tol=rtol, abs_tol=atol)


def close_mask(expected: Any, actual: Any, rtol: float = RTOL, atol: float = ATOL) -> np.ndarray:
    """``is_close`` element by element over two equally long columns (NaN matches NaN)."""
    left, right = _floats(expected), _floats(actual)
    both_nan = np.isnan(left) & np.isnan(right)
    with np.errstate(invalid="ignore"):
        tolerance = np.maximum(rtol * np.maximum(np.abs(left), np.abs(right)), atol)
        within = np.abs(left - right) <= tolerance
    return both_nan | within | (left == right)


def assert_close(expected: Any, actual: Any, rtol: float = RTOL, atol: float = ATOL, what: Any = "") -> None:
    """Two numbers, or two equally long columns, ``is_close`` element by element."""
    if np.ndim(expected) == 0 and np.ndim(actual) == 0:
        assert is_close(expected, actual, rtol, atol), (what, expected, actual)
        return
    left, right = pd.Series(expected).reset_index(drop=True), pd.Series(actual).reset_index(drop=True)
    assert len(left) == len(right), (what, len(left), len(right))
    wrong = ~close_mask(left, right, rtol, atol)
    assert not wrong.any(), (
        f"{what}: {int(wrong.sum())} values differ by more than max({rtol} x value, {atol}):\n"
        f"{pd.DataFrame({'expected': left, 'actual': right})[wrong].head(20).to_string()}"
    )


def assert_rows_close(
    left: Sequence[Iterable],
    right: Sequence[Iterable],
    what: Any = "",
    rtol: float = RTOL,
    atol: float = ATOL,
) -> None:
    """Two lists of rows in the same order: floats ``is_close``, every other value equal."""
    assert len(left) == len(right), (what, len(left), len(right))
    for a, b in zip(left, right, strict=True):
        a, b = tuple(a), tuple(b)
        assert len(a) == len(b), (what, a, b)
        for x, y in zip(a, b, strict=True):
            if isinstance(x, float) or isinstance(y, float):
                assert x is not None and y is not None and is_close(x, y, rtol, atol), (what, a, b)
            else:
                assert x == y, (what, a, b)


def assert_frames_close(
    expected: pd.DataFrame,
    actual: pd.DataFrame,
    keys: Sequence[str] = ("candidate", "user_id", "metric", "k"),
    value: str = "value",
    atol: float = ATOL,
    rtol: float = RTOL,
) -> None:
    """Both frames must have the same keys (no missing, no extra, no duplicated rows)
    and values ``is_close`` to each other (within max(rtol x value, atol)); NaN only
    matches NaN."""
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
    wrong = merged[~close_mask(merged[f"{value}_expected"], merged[f"{value}_actual"], rtol, atol)]
    assert wrong.empty, (
        f"{len(wrong)} values differ by more than max({rtol} x value, {atol}):\n{wrong.head(20).to_string()}"
    )
