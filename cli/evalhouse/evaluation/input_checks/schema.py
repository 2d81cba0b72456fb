"""What columns an input file has, as the models will read it (schemas only, no rows)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

    from evalhouse.evaluation.input_checks import InputFile


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() in (".parquet", ".pq")


def read_sql(path: Path) -> str:
    """The file's reader as macros/dialect.sql's read_data_file writes it."""
    quoted = "'" + path.as_posix().replace("'", "''") + "'"
    return f"read_parquet({quoted})" if _is_parquet(path) else f"read_csv({quoted}, header = true)"


def _schema(con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, str]:
    """{column: DuckDB type} as macros/dialect.sql's read_data_file reads the file."""
    return {row[0]: row[1] for row in con.execute(f"describe select * from {read_sql(path)}").fetchall()}


def _no_value_in(con: duckdb.DuckDBPyConnection, path: Path, column: str) -> bool:
    """True when a Parquet column holds nulls only (pandas writes a column of NaN so), read
    from the row groups' statistics, not from the rows."""
    if not _is_parquet(path):
        return False
    nulls, values = con.execute(
        "select sum(stats_null_count), sum(num_values) from parquet_metadata(?) where path_in_schema = ?",
        [path.as_posix(), column]).fetchone()
    return nulls is not None and nulls == values


def read_columns(files: list[InputFile]) -> list[tuple[InputFile, dict[str, str] | None]]:
    """Each file with its schema, None when it is missing or cannot be read (check_input_files
    says why)."""
    if not files:
        return []
    import duckdb

    out: list[tuple[InputFile, dict[str, str] | None]] = []
    with duckdb.connect() as con:
        for file in files:
            try:
                schema = _schema(con, file.path) if file.path.exists() else None
                if schema and file.one_of and "rank" in schema and _no_value_in(con, file.path, "rank"):
                    del schema["rank"]  # a rank column without a rank: ranked by score, as without one
                out.append((file, schema))
            except duckdb.Error:
                out.append((file, None))
    return out
