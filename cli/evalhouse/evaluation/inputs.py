"""Check the columns of the files `evaluation` names before a build reads them.

The models read each file through `read_with_columns`, which turns a missing optional
column into nulls. A missing required column would do the same and surface later as a
failing not_null test on a relation the user never wrote; this check names the file, the
key in project.yml and the columns it lacks before any table is touched. It reads only
each file's schema (Parquet metadata, the first lines of a CSV), never its rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from evalhouse.errors import ConfigError

if TYPE_CHECKING:
    import duckdb

    from evalhouse.project.loaded import LoadedProject


@dataclass(frozen=True)
class InputFile:
    key_path: tuple[str, ...]  # where project.yml names it, under `evaluation`
    written: str  # the path as project.yml gives it
    path: Path
    required: tuple[str, ...]
    one_of: tuple[str, ...] = ()  # at least one of these too (a candidate file: rank or score)


# the columns each kind of input cannot do without; the rest are optional (docs/evaluation.md)
REQUIRED = {
    "labels": ("user_id", "item_id"),  # without relevance: implicit feedback, every label relevant
    "train": ("user_id", "item_id"),
    "ab_events": ("user_id", "variant", "impressions", "clicks"),
    "user_attributes": ("user_id",),
    "inference_log": ("candidate", "latency_ms"),
}


def input_files(project: LoadedProject) -> list[InputFile]:
    evaluation = project.config.evaluation
    files = [
        InputFile((key,), getattr(evaluation, key), project.resolve_path(getattr(evaluation, key)), columns)
        for key, columns in REQUIRED.items()
        if getattr(evaluation, key)
    ]
    for name, entry in evaluation.candidates.items():
        path = entry if isinstance(entry, str) else entry.path
        files.append(InputFile(("candidates", name), path, project.resolve_path(path), ("user_id", "item_id"),
                               one_of=("rank", "score")))
    for name, path in evaluation.predictions.items():
        files.append(InputFile(("predictions", name), path, project.resolve_path(path),
                               ("user_id", "item_id", "prediction")))
    return files


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


def _columns(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    return list(_schema(con, path))


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


def check_input_files(project: LoadedProject) -> None:
    """Raise a ConfigError for the first file that lacks a required column or cannot be read."""
    files = input_files(project)
    if not files:
        return
    import duckdb

    with duckdb.connect() as con:  # one in-memory connection reads every file's schema
        for file in files:
            _check_file(con, project, file)


def _check_file(con: duckdb.DuckDBPyConnection, project: LoadedProject, file: InputFile) -> None:
    name, where = project.evaluation_key(file.key_path)  # project.yml's line, or the option
    if not file.path.exists():
        return  # project.evaluation_context() names a missing file where it is used
    try:
        columns = _columns(con, file.path)
    except Exception as exc:  # duckdb's own message says what it could not parse
        raise ConfigError(
            f"{name}: file '{file.written}' cannot be read: {str(exc).splitlines()[0]}",
            **where, hint="give a CSV with a header row or a Parquet file",
        ) from None
    missing = [c for c in file.required if c not in columns]
    if file.one_of and not any(c in columns for c in file.one_of):
        missing.append(" or ".join(file.one_of))
    if missing:
        raise ConfigError(
            f"{name}: file '{file.written}' has no column {', '.join(missing)} "
            f"(its columns: {', '.join(columns) or 'none'})",
            **where, hint="rename the file's columns, or point the key at the right file",
        )
