"""How a result fits a terminal: as it is, turned (one row per column), or cut to the
columns that fit with a note saying what was left out. A grid of 125 columns squeezed
into 200 characters shows nothing; each of these shows every value it prints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# a longer value folds onto more lines rather than taking the width of the others
MAX_CELL = 40
# the width a terminal is taken to have when it cannot be asked (output to a pipe or file)
FALLBACK_WIDTH = 120
MIN_WIDTH = 40


@dataclass
class Layout:
    columns: list[str]
    rows: list[list[str]]
    note: str | None = None


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def table_width(columns: list[str], rows: list[list[str]]) -> int:
    """The characters a boxed table of these cells takes: each column its widest value (at
    most MAX_CELL) plus a space either side and a rule."""
    widths = [min(MAX_CELL, max([len(name)] + [len(row[i]) for row in rows])) for i, name in enumerate(columns)]
    return sum(widths) + 3 * len(widths) + 1


def turned(columns: list[str], rows: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    """One row per column after the first, one column per row named by its first value
    (a leaderboard: a row per metric@K, a column per candidate)."""
    header = [columns[0]] + [row[0] for row in rows]
    return header, [[name] + [row[i] for row in rows] for i, name in enumerate(columns) if i > 0]


def layout(columns: list[str], values: list[tuple], width: int, more: str) -> Layout:
    """The table to print in `width` characters; `more` says how to see what was left out."""
    rows = [[cell(v) for v in row] for row in values]
    if not columns or table_width(columns, rows) <= width:
        return Layout(columns, rows)
    if rows and len(columns) > 1:
        turned_columns, turned_rows = turned(columns, rows)
        if table_width(turned_columns, turned_rows) <= width:
            return Layout(turned_columns, turned_rows,
                          note=f"turned to fit: a row per column, {len(columns)} columns by {len(rows)} rows")
    kept = 1
    while kept < len(columns) and table_width(columns[:kept + 1], [row[:kept + 1] for row in rows]) <= width:
        kept += 1
    left_out = len(columns) - kept
    return Layout(columns[:kept], [row[:kept] for row in rows],
                  note=f"{left_out} of {len(columns)} columns left out to fit {width} characters, "
                       f"from '{columns[kept]}' on; {more}")
