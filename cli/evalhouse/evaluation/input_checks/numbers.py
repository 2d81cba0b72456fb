"""The columns the models read as numbers hold numbers: one pass over each file.

A word or a decimal comma in a score ("0,5") would stop the build in recs_duplicates or
labels with DuckDB's "Could not convert string", which names neither the file nor its line.
One aggregate per file counts, for each such column DuckDB typed as text, the values that
`try_cast` cannot read; a column typed as a number is counted too, so that the CSV reader
parses the whole file (its type comes from the first rows, and a later word fails the read
with the line). Only a file with a bad value is read again, to find where.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from evalhouse.evaluation.input_checks.file_kind import csv_error, is_parquet

if TYPE_CHECKING:
    import duckdb

# the columns each kind of input that the models cast, and the type they cast them to
# (number_or_null in macros/dialect.sql, ab_events.sql's bigints)
NUMERIC = {
    "labels": {"relevance": "double"},
    "train": {"rating": "double"},
    "candidates": {"rank": "double", "score": "double"},
    "predictions": {"prediction": "double"},
    "ab_events": {"impressions": "bigint", "clicks": "bigint", "conversions": "bigint", "session_seconds": "double"},
    "inference_log": {"latency_ms": "double", "cost": "double"},
}
# DuckDB types that cast to a number as they are (a boolean relevance reads as 0 or 1)
_NUMBER_TYPE = re.compile(r"^(u?(tiny|small|big|huge)?int(eger)?|float|double|real|decimal(\(.*\))?|boolean|"
                          r"u?hugeint|\"null\"|null)$", re.IGNORECASE)
_TEXT_TYPE = re.compile(r"^varchar(\(\d+\))?$", re.IGNORECASE)
_CONVERT = re.compile(r'Could not convert string "(.*)" to')
# the CSV reader's reason for a value it cannot convert: the column, then the value
CONVERTING = re.compile(r'converting column "(.*?)"\. Could not convert string "(.*)" to')
_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d*,\d+\s*$")


@dataclass(frozen=True)
class WrongType:
    """A column of a type that is no number and no text (a list, a struct, a date ...)."""

    column: str
    type: str

    @property
    def nested(self) -> str:
        """' (a list)' for a list type and the like, to say why it is no number."""
        for start, word in (("STRUCT", "a struct"), ("MAP", "a map"), ("UNION", "a union")):
            if self.type.upper().startswith(start):
                return f" ({word})"
        return " (a list)" if self.type.endswith("]") else ""


@dataclass(frozen=True)
class BadValue:
    """The first value of a column that is not a number, and where it is."""

    column: str
    value: str
    count: int  # how many values of the column are not numbers
    line: int | None = None  # the CSV line (1 = the header), when DuckDB could tell
    row: int | None = None  # the Parquet row, from 1
    original: str | None = None  # the CSV line's text


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def wrong_types(columns: dict[str, str], wanted: dict[str, str]) -> list[WrongType]:
    return [WrongType(c, columns[c]) for c in wanted
            if c in columns and not _NUMBER_TYPE.match(columns[c]) and not _TEXT_TYPE.match(columns[c])]


def first_bad_value(con: duckdb.DuckDBPyConnection, path: Path, reader: str, columns: dict[str, str],
                    wanted: dict[str, str]) -> BadValue | None:
    """The first value of a `wanted` column that does not cast to its type; None when all do.

    A CSV value that the reader itself cannot convert raises duckdb.Error with its line: the
    caller reports that error (csv_error reads it)."""
    present = [c for c in wanted if c in columns]
    texts = [c for c in present if _TEXT_TYPE.match(columns[c])]
    parsed = [] if is_parquet(path) else [c for c in present if c not in texts]
    if not texts and not parsed:
        return None
    counts = [f"count(*) filter (where {quoted(c)} is not null and try_cast({quoted(c)} as {wanted[c]}) is null)"
              for c in texts]
    counts += [f"count({quoted(c)})" for c in parsed]  # makes the reader parse every line
    row = con.execute(f"select {', '.join(counts)} from {reader}", [path.as_posix()]).fetchone()
    for column, count in zip(texts, row[:len(texts)], strict=True):
        if count:
            return _locate(con, path, reader, column, wanted[column], count)
    return None


def _locate(con: duckdb.DuckDBPyConnection, path: Path, reader: str, column: str, cast: str,
            count: int) -> BadValue:
    name = quoted(column)
    bad = f"{name} is not null and try_cast({name} as {cast}) is null"
    if is_parquet(path):
        found = con.execute(
            f"select {name}, file_row_number from read_parquet(?, file_row_number = true) where {bad} "
            "order by file_row_number limit 1", [path.as_posix()]).fetchone()
        return BadValue(column, str(found[0]), count, row=found[1] + 1) if found else BadValue(column, "?", count)
    found = con.execute(f"select {name} from {reader} where {bad} limit 1", [path.as_posix()]).fetchone()
    value = found[0] if found else "?"
    # the CSV reader, told the column is a number, names the line of the first value it cannot read
    import duckdb

    try:
        con.execute(f"select count({name}) from read_csv(?, header = true, types = ?)",
                    [path.as_posix(), {column: cast.upper()}]).fetchone()
    except duckdb.Error as exc:
        where = csv_error(str(exc))
        found = _CONVERT.search(str(exc))
        if where and found and found.group(1) == str(value):
            return BadValue(column, str(value), count, line=where[0], original=where[1])
    return BadValue(column, str(value), count)


def is_decimal_comma(value: str) -> bool:
    return bool(_DECIMAL_COMMA.match(value))
