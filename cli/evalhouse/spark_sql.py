"""DuckDB SQL to Spark SQL with sqlglot, for the Spark target. No pyspark here.

Models are written in DuckDB SQL; on Spark every statement is transpiled once, just
before it runs, and written to target/compiled_spark/ so an error can point at the SQL
Spark actually saw. DuckDB's file readers (`read_csv(...)`, `read_parquet(...)`) have no
Spark SQL equivalent with options, so each call becomes a hidden table that the target
loads through Spark's own readers (`FileRead`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp, transforms
from sqlglot.dialects.spark import Spark
from sqlglot.errors import ErrorLevel, ParseError, UnsupportedError
from sqlglot.generators.spark import SparkGenerator

from .errors import SqlError
from .nodes import Node

FILE_PREFIX = "__evalhouse_file__"
FILE_SCHEMA = "main"
_FILE_FUNCTIONS = {"read_csv": "csv", "read_csv_auto": "csv", "read_parquet": "parquet"}
_SPARK_LINE = re.compile(r"\(line (\d+), pos(?:ition)? \d+\)|line (\d+):?\d*,? pos(?:ition)? \d+")


class _ExactPercentileGenerator(SparkGenerator):
    """Spark SQL as sqlglot writes it, except that discrete and continuous percentiles stay
    exact: `PERCENTILE_DISC(q) WITHIN GROUP (ORDER BY x)` (Spark 3.3+), where sqlglot
    would write the approximate PERCENTILE_APPROX."""

    TRANSFORMS = {
        **{k: v for k, v in SparkGenerator.TRANSFORMS.items() if k is not exp.WithinGroup},
        exp.PercentileDisc: transforms.preprocess([transforms.add_within_group_for_percentiles]),
        exp.PercentileCont: transforms.preprocess([transforms.add_within_group_for_percentiles]),
    }


class SparkDialect(Spark):
    Generator = _ExactPercentileGenerator


@dataclass(frozen=True)
class FileRead:
    """A data file a statement reads, and the hidden table it is loaded into."""

    kind: str  # csv | parquet
    path: str
    header: bool = True
    delimiter: str | None = None
    quote: str | None = None
    column_types: tuple[tuple[str, str], ...] = ()

    @property
    def table(self) -> str:
        digest = hashlib.sha256(repr(self).encode("utf-8")).hexdigest()[:16]
        return FILE_PREFIX + digest

    @property
    def relation(self) -> str:
        return f"`{FILE_SCHEMA}`.`{self.table}`"


@dataclass
class SparkSql:
    statements: list[str]
    files: list[FileRead] = field(default_factory=list)

    @property
    def sql(self) -> str:
        return ";\n".join(self.statements)

    def text(self) -> str:
        """The SQL with a header naming the file each hidden table holds."""
        header = "".join(f"-- {f.table}: {f.kind} file {f.path}\n" for f in self.files)
        return header + self.sql


class TranspileError(ValueError):
    """sqlglot cannot carry this DuckDB SQL over to Spark."""


def spark_type(duckdb_type: str) -> str:
    """A DuckDB type name as Spark SQL writes it (INTEGER -> INT, VARCHAR -> STRING)."""
    return exp.DataType.build(duckdb_type, dialect="duckdb").sql(dialect="spark")


def _literal(value: exp.Expression) -> Any:
    if isinstance(value, exp.Boolean):
        return value.this
    if isinstance(value, exp.Literal):
        return value.this if value.is_string else float(value.this)
    if isinstance(value, exp.Struct):  # types = {'a': 'INTEGER'}
        return {_key(e): _literal(e.expression) for e in value.expressions if isinstance(e, exp.PropertyEQ | exp.Slice)}
    raise TranspileError(f"only literal options can be carried over to Spark, got {value.sql('duckdb')}")


def _key(expression: exp.Expression) -> str:
    key = expression.this
    return key.name if isinstance(key, exp.Expression) else str(key)


def _file_read(function: exp.Expression, name: str) -> FileRead:
    args = list(function.expressions)
    if isinstance(function.this, exp.Expression):  # an Anonymous function's `this` is its name
        args.insert(0, function.this)
    positional = [a for a in args if not isinstance(a, exp.EQ | exp.PropertyEQ)]
    if len(positional) != 1 or not isinstance(positional[0], exp.Literal) or not positional[0].is_string:
        raise TranspileError(f"{name}() on Spark needs one file path as a string literal")
    options = {_key(a).lower(): _literal(a.expression) for a in args if isinstance(a, exp.EQ | exp.PropertyEQ)}
    kind = _FILE_FUNCTIONS[name]
    known = {"header", "delim", "sep", "quote", "types", "columns", "auto_detect", "strict_mode", "skip"}
    unknown = sorted(set(options) - known) if kind == "csv" else sorted(options)
    if unknown:
        raise TranspileError(f"{name}() option(s) {', '.join(unknown)} have no Spark counterpart here")
    types = options.get("types") or options.get("columns") or {}
    return FileRead(
        kind=kind,
        path=positional[0].this,
        header=bool(options.get("header", True)),
        delimiter=options.get("delim") or options.get("sep"),
        quote=options.get("quote"),
        column_types=tuple(sorted((str(k), str(v)) for k, v in types.items())),
    )


def _function_name(node: exp.Expression) -> str | None:
    if isinstance(node, exp.ReadCSV):
        return "read_csv"
    if isinstance(node, exp.ReadParquet):
        return "read_parquet"
    if isinstance(node, exp.Anonymous) and node.name.lower() in _FILE_FUNCTIONS:
        return node.name.lower()
    return None


def _replace_file_reads(tree: exp.Expression, files: list[FileRead]) -> exp.Expression:
    def swap(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Table):
            return node
        name = _function_name(node.this) if isinstance(node.this, exp.Expression) else None
        if name is None:
            return node
        read = _file_read(node.this, name)
        files.append(read)
        table = exp.table_(read.table, db=FILE_SCHEMA, quoted=True)
        if node.args.get("alias") is not None:
            table.set("alias", node.args["alias"])
        return table

    return tree.transform(swap)


def to_spark(sql: str) -> SparkSql:
    """Transpile DuckDB SQL (one or more statements) to Spark SQL."""
    try:
        trees = [t for t in sqlglot.parse(sql, read="duckdb") if t is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        raise TranspileError(f"sqlglot cannot read the DuckDB SQL: {first.get('description') or exc}") from None
    files: list[FileRead] = []
    statements = []
    for tree in trees:
        tree = _replace_file_reads(tree, files)
        try:
            statements.append(tree.sql(dialect=SparkDialect, pretty=True, unsupported_level=ErrorLevel.RAISE))
        except UnsupportedError as exc:
            raise TranspileError(f"sqlglot cannot write this for Spark: {str(exc).splitlines()[0]}") from None
    return SparkSql(statements, list(dict.fromkeys(files)))


def spark_compiled_path(node: Node) -> str:
    """Where the Spark SQL of a node is written, relative to the project (for hints)."""
    if node.test_name:
        return f"target/compiled_spark/tests/{node.name}.sql"
    return f"target/compiled_spark/{node.path.as_posix()}"


def write_spark_sql(target_dir: Path, node: Node, sql: SparkSql) -> None:
    relative = Path(spark_compiled_path(node)).relative_to("target")
    out = target_dir / relative
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(sql.text(), encoding="utf-8")


def transpile_node(node: Node) -> SparkSql:
    """A node's rendered SQL as Spark SQL; a TranspileError becomes the node's SqlError."""
    try:
        return to_spark(node.sql or "")
    except TranspileError as exc:
        raise SqlError(
            f"{node.kind} {node.name} cannot run on Spark: {exc}",
            path=node.path,
            hint="give the engine-specific part its own macro that dispatches on target.name (docs/spark.md)",
        ) from None


def spark_error_line(message: str) -> int | None:
    match = _SPARK_LINE.search(message)
    if not match:
        return None
    return int(match.group(1) or match.group(2))
