"""Check the files `evaluation` names before a build reads them.

The models read each file through `read_with_columns`, which turns a missing optional
column into nulls. A missing required column would do the same and surface later as a
failing not_null test on a relation the user never wrote; a word in a score column would
stop the build with DuckDB's "Could not convert string" from a model that names neither
the file nor the line. These checks name the file, the key in project.yml, the column and
the line before any table is touched: what the path is (file_kind.py), its columns (the
schema only) and, once per file, whether the columns read as numbers hold numbers
(numbers.py).

Exit codes: a key pointing at the wrong thing (a folder, an empty or JSON file, a file
without a required column or with a list where a number goes) is the project's to fix
(ConfigError, exit 2); a bad row in a right file (a word in a number column, a CSV line
with more values than the header) is bad data, as a failing data test is (exit 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from evalhouse.errors import ConfigError, InputDataError
from evalhouse.evaluation.input_checks.file_kind import (
    csv_error,
    duckdb_reason,
    is_parquet,
    not_a_data_file,
    reader_sql,
    split_header,
)
from evalhouse.evaluation.input_checks.numbers import (
    CONVERTING,
    NUMERIC,
    BadValue,
    first_bad_value,
    is_decimal_comma,
    wrong_types,
)
from evalhouse.evaluation.input_checks.schema import read_columns, read_sql

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

    @property
    def kind(self) -> str:
        return self.key_path[0]

    @property
    def key(self) -> str:
        return "evaluation." + ".".join(self.key_path)

    @property
    def what(self) -> str:
        """How a message names the file: `candidate file (evaluation.candidates.mine)`."""
        return f"{KIND_NAMES[self.kind]} ({self.key})"


# the columns each kind of input cannot do without; the rest are optional (docs/evaluation.md)
REQUIRED = {
    "labels": ("user_id", "item_id"),  # without relevance: implicit feedback, every label relevant
    "train": ("user_id", "item_id"),
    "ab_events": ("user_id", "variant", "impressions", "clicks"),
    "user_attributes": ("user_id",),
    "inference_log": ("candidate", "latency_ms"),
}
KIND_NAMES = {"labels": "labels file", "train": "train file", "candidates": "candidate file",
              "predictions": "predictions file", "ab_events": "A/B events file",
              "user_attributes": "user attributes file", "inference_log": "inference log"}


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


def check_input_files(project: LoadedProject) -> None:
    """Raise for the first file that is no data file, lacks a required column, cannot be
    read or holds a value that is not a number where the models read one."""
    files = input_files(project)
    if not files:
        return
    import duckdb

    with duckdb.connect() as con:  # one in-memory connection reads every file
        for file in files:
            _check_file(con, project, file)


def _check_file(con: duckdb.DuckDBPyConnection, project: LoadedProject, file: InputFile) -> None:
    import duckdb

    name, where = project.evaluation_key(file.key_path)  # project.yml's line, or the option

    def config_error(message: str, hint: str) -> ConfigError:
        return ConfigError(f"{name}: file '{file.written}' {message}", **where, hint=hint)

    if not file.path.exists():
        return  # project.evaluation_context() names a missing file where it is used
    wrong = not_a_data_file(file.path)
    if wrong:
        raise config_error(*wrong)
    try:
        rows = con.execute(f"describe select * from {reader_sql(file.path)}", [file.path.as_posix()]).fetchall()
    except duckdb.Error as exc:  # DuckDB's reason says what it could not parse
        raise _read_error(file, str(exc), config_error) from None
    columns = {row[0]: str(row[1]) for row in rows}
    if len(columns) == 1 and not is_parquet(file.path):
        _check_ragged(con, file, next(iter(columns)))
    missing = [c for c in file.required if c not in columns]
    if file.one_of and not any(c in columns for c in file.one_of):
        missing.append(" or ".join(file.one_of))
    if missing:
        raise config_error(f"has no column {', '.join(missing)} (its columns: {', '.join(columns) or 'none'})",
                           "rename the file's columns, or point the key at the right file")
    wanted = NUMERIC.get(file.kind, {})
    for wrong_type in wrong_types(columns, wanted):
        raise config_error(f"has column {wrong_type.column} of type {wrong_type.type}{wrong_type.nested}, "
                           "which is not a number",
                           f"write {wrong_type.column} as a number column (one number per row), or point the "
                           "key at the right file")
    try:
        bad = first_bad_value(con, file.path, reader_sql(file.path), columns, wanted)
    except duckdb.Error as exc:  # the CSV reader found a line it cannot convert
        raise _read_error(file, str(exc), config_error) from None
    if bad is not None:
        raise _bad_value_error(file, bad)


def _read_error(file: InputFile, message: str, config_error) -> Exception:
    """A bad CSV line is bad data (its line and DuckDB's reason); anything else a file the
    key should not point at."""
    where = csv_error(message)
    if where is None:
        return config_error(f"cannot be read: {duckdb_reason(message)}",
                            "give a CSV with a header row or a Parquet file")
    line, original, reason = where
    converting = CONVERTING.search(reason)
    if converting:  # a value past the rows DuckDB typed the column from
        return _bad_value_error(file, BadValue(converting.group(1), converting.group(2), 1, line=line))
    if "utf-8" in reason.lower() or "unicode" in reason.lower():
        return InputDataError(f"{file.what}: line {line} cannot be read: {reason}", path=file.written, line=line,
                              hint="save the file as UTF-8 (a spreadsheet's 'CSV UTF-8'); DuckDB reads CSV as UTF-8")
    return InputDataError(f"{file.what}: line {line} cannot be read: {reason}; the line: {original}",
                          path=file.written, line=line,
                          hint="fix or drop that line: every line holds as many values as the header, "
                               "a value with the delimiter in it is quoted")


def _check_ragged(con: duckdb.DuckDBPyConnection, file: InputFile, column: str) -> None:
    """DuckDB reads a CSV whose lines disagree on the number of values as one column named
    like its header; read again with the header's delimiter, it names the first bad line."""
    import duckdb

    split = split_header(file.path, column)
    if split is None:
        return
    delimiter, names = split
    columns = {f"column{i}": "varchar" for i in range(len(names))}  # names may repeat: the count matters
    try:
        con.execute("select count(*) from read_csv(?, header = true, delim = ?, quote = '\"', escape = '\"', "
                    "auto_detect = false, columns = ?)", [file.path.as_posix(), delimiter, columns]).fetchone()
    except duckdb.Error as exc:
        where = csv_error(str(exc))
        if where is not None:
            line, original, reason = where
            raise InputDataError(
                f"{file.what}: line {line} does not fit the header: {reason} ({len(names)} columns: "
                f"{', '.join(names)}); the line: {original}",
                path=file.written, line=line,
                hint="give every line as many values as the header has; quote a value that holds "
                     f"the delimiter {delimiter!r}",
            ) from None


def _bad_value_error(file: InputFile, bad: BadValue) -> InputDataError:
    where = f" on line {bad.line}" if bad.line else (f" in row {bad.row}" if bad.row else "")
    others = f" ({bad.count - 1} more value{'s' if bad.count > 2 else ''} of the column too)" if bad.count > 1 else ""
    if is_decimal_comma(bad.value):
        hint = "write decimals with a point (0.5, not 0,5): export the file with '.' as the decimal separator"
    else:
        hint = f"column {bad.column} holds numbers only (an empty value for none): fix or drop that row"
        if bad.column == "rank":
            hint += ", or leave the rank column out to rank by score"
    return InputDataError(f"{file.what}: column {bad.column} holds {bad.value!r}{where}, which is not a number"
                          f"{others}", path=file.written, line=bad.line, hint=hint)


__all__ = ["InputFile", "check_input_files", "input_files", "read_columns", "read_sql"]
