"""The checks `evalhouse check` runs, and every `run`/`build` before it reads a row.

They read each input file's schema only (Parquet metadata, a CSV's sampled types), so
they cost milliseconds whatever the size of the files. What they find also goes to the
templates, as `evaluation.columns` and `evaluation.id_types`: a file without `ts` or
`relevance` changes what the models select, ids are cast to one type where the files
disagree. What needs the rows (users without a list, tied ranks) is checked by the build
itself, on the tables it reads each file into once (models/inputs); `evalhouse check` alone
also reads the user ids for the share of label users each candidate file covers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from evalhouse.errors import NodeError
from evalhouse.evaluation.input_checks import check_input_files, input_files, read_columns

if TYPE_CHECKING:
    from evalhouse.project.loaded import LoadedProject

ID_COLUMNS = ("user_id", "item_id")
# DuckDB's number types: ids of these types compare as numbers, any other as text
_NUMBER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                 "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL")


@dataclass
class CheckResult:
    files: int = 0  # how many input files were checked
    warnings: list[str] = field(default_factory=list)


def _is_text(column_type: str) -> bool:
    return not column_type.upper().startswith(_NUMBER_TYPES)


def input_facts(project: LoadedProject) -> dict[str, Any]:
    """`evaluation.columns` ({labels, train: {column: type}, candidates: {name: {...}}}, a
    file that cannot be read left out) and `evaluation.id_types` ({user_id, item_id}:
    'varchar' when ids compare as text, else None)."""
    columns: dict[str, Any] = {"candidates": {}}
    schemas = read_columns([f for f in input_files(project) if f.key_path[0] in ("labels", "train", "candidates")])
    for file, schema in schemas:
        if schema is None:
            continue
        if file.key_path[0] == "candidates":
            columns["candidates"][file.key_path[1]] = schema
        else:
            columns[file.key_path[0]] = schema
    id_types = {column: "varchar" if _text_files(project, schemas, column)[0] else None for column in ID_COLUMNS}
    return {"columns": columns, "id_types": id_types}


def _text_files(project: LoadedProject, schemas: list[Any], column: str) -> tuple[list[str], list[str]]:
    """The inputs where `column` is text and those where it is a number (the split's files,
    built from the seeds, have number ids)."""
    text, numbers = [], []
    for file, schema in schemas:
        if schema and column in schema:
            (text if _is_text(schema[column]) else numbers).append(f"{'.'.join(file.key_path)} ({file.written})")
    evaluation = project.config.evaluation
    if not evaluation.labels:
        numbers.append("the split's labels and train (seeds)")
    return text, numbers


def run_checks(project: LoadedProject) -> CheckResult:
    """Raise a ConfigError for a missing column or an unreadable file; return the warnings."""
    check_input_files(project)
    files = input_files(project)
    result = CheckResult(files=len(files))
    schemas = read_columns([f for f in files if f.key_path[0] in ("labels", "train", "candidates")])
    for column in ID_COLUMNS:
        text, numbers = _text_files(project, schemas, column)
        if text and numbers:
            result.warnings.append(
                f"{column} is text in {', '.join(text)} and a number in {', '.join(numbers)}: "
                f"{column}s are compared as text everywhere (42 and '42' match, '042' does not)")
    by_key = {file.key_path[0]: schema for file, schema in schemas if file.key_path[0] != "candidates"}
    evaluation = project.config.evaluation
    baselines = evaluation.baselines

    def on(name: str) -> bool:
        return baselines is None or name in baselines

    train = by_key.get("train")
    if evaluation.train and train is not None:
        if "ts" not in train:
            left_out = "popular_recent is left out, " if on("popular_recent") else ""
            result.warnings.append(
                f"evaluation.train ({evaluation.train}) has no ts column: {left_out}recent_days and "
                f"retrain_lag_days have no effect, and the tenure and new-vs-returning slices have no rows")
        if "rating" not in train and on("bias"):
            result.warnings.append(f"evaluation.train ({evaluation.train}) has no rating column: "
                                   f"the bias (rating) baseline is left out")
    labels = by_key.get("labels")
    if evaluation.labels and labels is not None and "relevance" not in labels:
        result.warnings.append(
            f"evaluation.labels ({evaluation.labels}) has no relevance column: implicit feedback, "
            f"every label is relevant with relevance 1 (rel_threshold is not applied)")
    return result


class NoLabelUserError(NodeError):
    """A candidate file in which no user of the labels has a list (every metric would be 0)."""


def check_overlap(project: LoadedProject, result: CheckResult) -> None:
    """`evalhouse check` only (a build checks the same on its tables, candidate_overlap):
    each candidate file's share of the label users that have a list in it. Below half a
    warning; none at all a NoLabelUserError (exit 1) naming the candidate, with up to 3 ids
    of each side. Reads the user_id column of each file (Parquet reads that column only)."""
    import duckdb

    from evalhouse.evaluation.input_checks import read_sql

    evaluation = project.config.evaluation
    if not evaluation.labels or not evaluation.candidates:
        return  # the split's labels are checked by the build
    as_text = input_facts(project)["id_types"]["user_id"] == "varchar"
    user = "cast(user_id as varchar)" if as_text else "user_id"
    errors = []
    with duckdb.connect() as con:
        con.execute(f"create temp table label_users as select distinct {user} as user_id "
                    f"from {read_sql(project.resolve_path(evaluation.labels))} where user_id is not null")
        for name, entry in evaluation.candidates.items():
            written = entry if isinstance(entry, str) else entry.path
            n_labels, n_listed, missing, extra = con.execute(
                f"with listed as (select distinct {user} as user_id from {read_sql(project.resolve_path(written))}"
                f" where user_id is not null) "
                "select (select count(*) from label_users), "
                "(select count(*) from listed semi join label_users using (user_id)), "
                "(select min(user_id, 3) from label_users anti join listed using (user_id)), "
                "(select min(user_id, 3) from listed anti join label_users using (user_id))").fetchone()
            if not n_labels:
                continue
            sample = f"label users without a list: {_ids(missing)}; users of the file not in labels: {_ids(extra)}"
            if n_listed == 0:
                errors.append(f"evaluation.candidates.{name} ({written}): no user of evaluation.labels has a list "
                              f"({sample})")
            elif n_listed < n_labels / 2:
                result.warnings.append(f"evaluation.candidates.{name} ({written}): {n_listed} of {n_labels} label "
                                       f"users ({n_listed / n_labels:.0%}) have a list; the others score 0 ({sample})")
    if errors:
        raise NoLabelUserError("; ".join(errors), hint="check that the candidate files and evaluation.labels use "
                                                       "the same user ids")


def _ids(values: list[Any] | None) -> str:
    return ", ".join(str(v) for v in values) if values else "none"
