"""What an input path is before DuckDB reads it, and DuckDB's reasons put into words.

The models read a path ending in .parquet or .pq as Parquet and anything else as a CSV with
a header (macros/dialect.sql read_data_file). DuckDB reads a folder as every file in it and
an empty or JSON file as a CSV of one odd column, so those surface later as "no column
rank or score"; they are named here for what they are.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

PARQUET_SUFFIXES = (".parquet", ".pq")
DATA_SUFFIXES = (".csv", ".tsv", ".txt", ".gz", ".zst") + PARQUET_SUFFIXES
_DELIMITERS = (",", ";", "\t", "|")

_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")
_ORIGINAL = re.compile(r"^Original Line: (.*)$", re.MULTILINE)
# where DuckDB's own advice starts: its option names (strict_mode, null_padding ...) are not ours
_ADVICE = ("Possible fixes", "The search space", "Column ", "This type was", "* ", "file = ")


def is_parquet(path: Path) -> bool:
    return path.suffix.lower() in PARQUET_SUFFIXES


def reader_sql(path: Path) -> str:
    """The table function the models read `path` with; its one parameter is the path."""
    return "read_parquet(?)" if is_parquet(path) else "read_csv(?, header = true)"


def not_a_data_file(path: Path) -> tuple[str, str] | None:
    """(what the path is, what to give instead) when it cannot be a CSV or Parquet file."""
    try:
        return _not_a_data_file(path)
    except OSError as exc:  # a folder or file this user may not read
        return f"cannot be opened: {exc.strerror or exc}", "make it readable, or point the key at a file you can read"


def _not_a_data_file(path: Path) -> tuple[str, str] | None:
    if path.is_dir():
        inside = sorted(p.name for p in path.iterdir() if p.suffix.lower() in DATA_SUFFIXES)[:3]
        holds = f" (it holds {', '.join(inside)})" if inside else ""
        return (f"is a folder, not a file{holds}",
                "give the path of one CSV or Parquet file: each key reads exactly one file")
    if not path.is_file():
        return "is not a regular file", "give the path of a CSV or Parquet file"
    with path.open("rb") as handle:
        head = handle.read(512)
    if not head:
        return ("is empty (0 bytes)",
                "write the file again (a CSV starts with its header line, such as user_id,item_id,...), "
                "or point the key at the right file")
    start = head.lstrip()[:1]
    if path.suffix.lower() in (".json", ".jsonl", ".ndjson") or start in (b"{", b"["):
        return ("is JSON, not CSV or Parquet",
                "export it as a CSV with a header row, or as Parquet (named .parquet)")
    if head.startswith(b"PK\x03\x04"):
        return ("is a zip archive (a spreadsheet?), not CSV or Parquet",
                "export the sheet as a CSV with a header row, or as Parquet (named .parquet)")
    if is_parquet(path) and not head.startswith(b"PAR1"):
        return ("is not a Parquet file (it does not start with PAR1), though its name ends in "
                f"{path.suffix}", "give a Parquet file, or rename a CSV file to end in .csv")
    if not is_parquet(path) and head.startswith(b"PAR1"):
        return ("is a Parquet file without the .parquet ending, so it is read as CSV",
                "rename it to end in .parquet (and the key with it)")
    return None


def duckdb_reason(message: str) -> str:
    """DuckDB's reason, without its advice (which names its own options): the first lines
    of the message up to a blank line or the advice."""
    kept = []
    for line in message.strip().splitlines():
        if not line.strip() or line.strip().startswith(_ADVICE) or line.startswith("LINE "):
            break
        kept.append(line.strip())
    return " ".join(kept[:3]) or message.strip().splitlines()[0]


def csv_error(message: str) -> tuple[int, str, str] | None:
    """(line, the line's text, the reason) of a DuckDB 'CSV Error on Line: N' message."""
    line = _CSV_LINE.search(message)
    original = _ORIGINAL.search(message)
    if not line or not original:
        return None
    after = message[original.end():].strip().splitlines()
    reason = after[0].strip() if after else "the line cannot be read"
    return int(line.group(1)), original.group(1), reason


def split_header(path: Path, column: str) -> tuple[str, list[str]] | None:
    """(delimiter, names) when DuckDB read a CSV as one column named like a whole header
    line: its lines do not agree on the number of values, so no delimiter fitted."""
    found = [d for d in _DELIMITERS if d in column]
    if not found:
        return None
    delimiter = max(found, key=column.count)
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        header = next(csv.reader(handle, delimiter=delimiter), [])
    return (delimiter, header) if len(header) > 1 else None
