"""Load seed files (CSV, TSV, Parquet) with DuckDB's own readers."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from evalhouse.errors import SeedError
from evalhouse.execute.materialize import swap_in_table
from evalhouse.project.config import SeedConfig
from evalhouse.project.nodes import Node

if TYPE_CHECKING:
    from evalhouse.targets.duckdb.journal import Journal

_CSV_LINE = re.compile(r"CSV Error on Line:\s*(\d+)")


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def reader_sql(path: Path, config: SeedConfig) -> str:
    """The DuckDB table function that reads the seed file."""
    if path.suffix.lower() == ".parquet":
        return f"read_parquet({_sql_string(path.as_posix())})"
    options = [_sql_string(path.as_posix()), f"header = {str(config.header).lower()}", "skip = 0",
               "strict_mode = true", f"delim = {_sql_string(_delimiter(path, config))}"]
    if config.quote:
        options.append(f"quote = {_sql_string(config.quote)}")
    if config.column_types:
        types = ", ".join(f"{_sql_string(k)}: {_sql_string(v)}" for k, v in config.column_types.items())
        options.append(f"types = {{{types}}}")
    return f"read_csv({', '.join(options)})"


def _delimiter(path: Path, config: SeedConfig) -> str:
    # an explicit delimiter keeps DuckDB's sniffer from "finding" another one in a ragged file
    return config.delimiter or ("\t" if path.suffix.lower() == ".tsv" else ",")


def first_ragged_line(path: Path, config: SeedConfig) -> tuple[int, int, int] | None:
    """(line, fields, expected) of the first row whose field count differs from the first row's.

    Only called after DuckDB has refused the file, to say where the problem is."""
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        reader = csv.reader(handle, delimiter=_delimiter(path, config), quotechar=config.quote or '"')
        expected = None
        for row in reader:
            if expected is None:
                expected = len(row)
            elif row and len(row) != expected:
                return reader.line_num, len(row), expected
    return None


def _seed_error(node: Node, exc: duckdb.Error, path: Path, config: SeedConfig) -> SeedError:
    message = str(exc)
    match = _CSV_LINE.search(message)
    line = int(match.group(1)) if match else None
    first = message.split("\n")[0]
    if line is None and path.suffix.lower() != ".parquet":
        ragged = first_ragged_line(path, config)
        if ragged is not None:
            line, fields, expected = ragged
            return SeedError(
                f"seed {node.name} has a row with {fields} fields where the header has {expected}",
                path=node.path,
                line=line,
                hint="make every row have as many fields as the header (quote values that contain the delimiter)",
            )
    detail = [ln for ln in message.splitlines()[1:4] if ln.strip() and not ln.startswith("LINE")]
    text = first + ("" if not detail else " (" + "; ".join(d.strip() for d in detail) + ")")
    return SeedError(
        f"seed {node.name} could not be loaded: {text}",
        path=node.path,
        line=line,
        hint="fix that row, or set its column types under seeds: in project.yml",
    )


def load_seed(
    cursor: duckdb.DuckDBPyConnection,
    node: Node,
    project_dir: Path,
    config: SeedConfig,
    existing_kind: str | None,
    journal: Journal,
) -> int:
    path = project_dir / node.path
    if path.stat().st_size == 0:
        raise SeedError(
            f"seed {node.name} is an empty file",
            path=node.path,
            line=1,
            hint="add a header row and data, or delete the file",
        )
    select = f"select * from {reader_sql(path, config)}"
    try:
        return swap_in_table(cursor, node, select, existing_kind, journal)
    except duckdb.Error as exc:
        raise _seed_error(node, exc, path, config) from None
