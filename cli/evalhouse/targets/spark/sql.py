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
from typing import Any, Protocol

import sqlglot
from sqlglot import exp, transforms
from sqlglot.dialects.spark import Spark
from sqlglot.errors import ErrorLevel, ParseError, UnsupportedError
from sqlglot.generators.spark import SparkGenerator

from evalhouse.errors import SqlError
from evalhouse.project.nodes import Node
from evalhouse.project.secrets import mask_text
from evalhouse.project.written import note_written
from evalhouse.targets.spark.pivot import PivotError, rewrite_pivots_and_columns
from evalhouse.targets.spark.union import UnionByNameError, rewrite_unions_by_name

FILE_PREFIX = "__evalhouse_file__"
FILE_SCHEMA = "main"
_FILE_FUNCTIONS = {"read_csv": "csv", "read_csv_auto": "csv", "read_parquet": "parquet"}
_SPARK_LINE = re.compile(r"\(line (\d+), pos(?:ition)? \d+\)|line (\d+):?\d*,? pos(?:ition)? \d+")


class _SparkGenerator(SparkGenerator):
    """Spark SQL as sqlglot writes it, with two corrections: percentiles stay exact
    (`PERCENTILE_DISC(q) WITHIN GROUP (ORDER BY x)`, Spark 3.3+, where sqlglot writes the
    approximate PERCENTILE_APPROX), and nested WITH clauses stay where they are."""

    # Spark 3+ reads a WITH inside a CTE or subquery; hoisting them (as for Hive) would
    # clash when an inner CTE has an outer one's name
    EXPRESSIONS_WITHOUT_NESTED_CTES: set[type[exp.Expression]] = set()

    TRANSFORMS = {
        **{k: v for k, v in SparkGenerator.TRANSFORMS.items() if k is not exp.WithinGroup},
        exp.PercentileDisc: transforms.preprocess([transforms.add_within_group_for_percentiles]),
        exp.PercentileCont: transforms.preprocess([transforms.add_within_group_for_percentiles]),
    }


class SparkDialect(Spark):
    Generator = _SparkGenerator


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


class SparkCatalog(Protocol):
    """What transpiling asks of a live session: load the files a statement reads, name
    the columns of a query (for `union by name` and `columns(...)`), and give the values
    of a one-column query (for `pivot`)."""

    def load_files(self, files: list[FileRead]) -> None: ...

    def columns(self, spark_sql: str) -> list[str]: ...

    def values(self, spark_sql: str) -> list[Any]: ...


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


def _zip_parallel_unnests(node: exp.Expression) -> exp.Expression:
    """DuckDB zips several unnest() of one select list (row i of each list together); Spark
    would multiply them. Side-by-side unnests become one INLINE(ARRAYS_ZIP(...)) AS (...)."""
    if not isinstance(node, exp.Select):
        return node
    projections = node.expressions
    found = [i for i, p in enumerate(projections) if type(p.unalias()) is exp.Explode]
    if len(found) < 2:
        return node
    if found != list(range(found[0], found[0] + len(found))):
        raise TranspileError("several unnest() in one select must stand side by side to be zipped on Spark")
    names = [projections[i].alias for i in found]
    if not all(names):
        raise TranspileError("several unnest() in one select need an alias each (unnest(x) as name) on Spark")
    arrays = [projections[i].unalias().this for i in found]
    zipped = exp.Aliases(
        this=exp.Anonymous(this="INLINE", expressions=[exp.Anonymous(this="ARRAYS_ZIP", expressions=arrays)]),
        expressions=[exp.to_identifier(name) for name in names],
    )
    node.set("expressions", projections[: found[0]] + [zipped] + projections[found[-1] + 1 :])
    return node


def _divide_as_double(node: exp.Expression) -> exp.Expression:
    """DuckDB's `/` divides as DOUBLE whatever the operands (DECIMAL included); Spark
    divides DECIMALs as DECIMAL, keeping 6 decimal places. Cast the dividend."""
    if isinstance(node, exp.Div) and not (isinstance(node.this, exp.Cast) and node.this.is_type("double")):
        node.set("this", exp.cast(node.this, exp.DataType.build("double")))
    return node


def _average_as_double(node: exp.Expression) -> exp.Expression:
    """DuckDB's avg() is a DOUBLE whatever the operand; Spark averages a DECIMAL (say
    avg(case when c then 1.0 else 0.0 end)) as a DECIMAL with 4 more decimal places,
    rounded. Average the operand as a DOUBLE."""
    if not isinstance(node, exp.Avg):
        return node
    operand = node.this.expressions[0] if isinstance(node.this, exp.Distinct) else node.this
    if not (isinstance(operand, exp.Cast) and operand.is_type("double")):
        operand.replace(exp.cast(operand.copy(), exp.DataType.build("double")))
    return node


def _drop_materialized_hint(node: exp.Expression) -> exp.Expression:
    """`with x as [not] materialized (...)` tells DuckDB whether to compute a CTE once;
    Spark SQL has no such clause (it plans CTEs itself), and the result is the same."""
    if isinstance(node, exp.CTE) and node.args.get("materialized") is not None:
        node.set("materialized", None)
    return node


def _generate(tree: exp.Expression) -> str:
    try:
        return tree.sql(dialect=SparkDialect, pretty=True, unsupported_level=ErrorLevel.RAISE)
    except UnsupportedError as exc:
        raise TranspileError(f"sqlglot cannot write this for Spark: {str(exc).splitlines()[0]}") from None


def qualify_bare_names(tree: exp.Expression, schemas: dict[str, str]) -> exp.Expression:
    """Give a bare table name the schema it lives in (`recs_lists` -> `intermediate.recs_lists`),
    as DuckDB's search path does for a reader: Spark looks a bare name up in the current
    database (main) only. `schemas` maps a lower-case name to its schema; a CTE keeps its name."""
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        name = table.name.lower()
        if name and not table.args.get("db") and name not in ctes and name in schemas:
            table.set("db", exp.to_identifier(schemas[name]))
    return tree


def to_spark(sql: str, catalog: SparkCatalog | None = None, bare_names: dict[str, str] | None = None) -> SparkSql:
    """Transpile DuckDB SQL (one or more statements) to Spark SQL. With a catalog (a live
    session), the files it reads are loaded and `union by name`, `pivot` and `columns(...)` are resolved too;
    with bare_names (name -> schema), a bare table name gets its schema (qualify_bare_names)."""
    try:
        trees = [t for t in sqlglot.parse(sql, read="duckdb") if t is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        raise TranspileError(f"sqlglot cannot read the DuckDB SQL: {first.get('description') or exc}") from None
    files: list[FileRead] = []
    statements = []
    for tree in trees:
        if bare_names:
            tree = qualify_bare_names(tree, bare_names)
        tree = _replace_file_reads(tree, files)
        tree = tree.transform(_zip_parallel_unnests).transform(_divide_as_double).transform(_average_as_double)
        tree = tree.transform(_drop_materialized_hint)
        if catalog is not None:
            catalog.load_files(list(dict.fromkeys(files)))
            try:
                tree = rewrite_unions_by_name(tree, lambda query: catalog.columns(_generate(query)))
                tree = rewrite_pivots_and_columns(tree, lambda query: catalog.columns(_generate(query)),
                                                  lambda query: catalog.values(_generate(query)))
            except (UnionByNameError, PivotError) as exc:
                raise TranspileError(str(exc)) from None
        statements.append(_generate(tree))
    return SparkSql(statements, list(dict.fromkeys(files)))


@dataclass
class DeleteAsRewrite:
    """`delete from t where c` for a table format without delete: the rows to keep, to be
    written as a new table and swapped in."""

    schema: str | None
    name: str
    keep_sql: str  # Spark SQL selecting every row of t for which c is not true


def delete_as_rewrite(sql: str) -> DeleteAsRewrite | None:
    """A plain DuckDB `delete from t [where c]` as the select of the rows it keeps; None for
    any other statement."""
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except ParseError:
        return None
    if not isinstance(tree, exp.Delete) or not isinstance(tree.this, exp.Table) or tree.args.get("using"):
        return None
    table = tree.this
    where = tree.args.get("where")
    keep = exp.select("*").from_(table.copy())
    if where is not None:
        # delete removes the rows where c is true; null counts as not true
        keep = keep.where(exp.func("coalesce", exp.not_(exp.paren(where.this.copy())), exp.true()))
    else:
        keep = keep.where(exp.false())
    spark_sql = keep.sql(dialect=SparkDialect, pretty=True, unsupported_level=ErrorLevel.RAISE)
    return DeleteAsRewrite(table.db or None, table.name, spark_sql)


def spark_compiled_path(node: Node) -> str:
    """Where the Spark SQL of a node is written, relative to the project (for hints)."""
    if node.test_name:
        return f"target/compiled_spark/tests/{node.name}.sql"
    return f"target/compiled_spark/{node.path.as_posix()}"


def write_spark_sql(target_dir: Path, node: Node, sql: SparkSql) -> None:
    relative = Path(spark_compiled_path(node)).relative_to("target")
    out = target_dir / relative
    note_written(target_dir, out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(mask_text(sql.text()), encoding="utf-8")  # env_var() values masked


def transpile_node(node: Node, catalog: SparkCatalog | None = None) -> SparkSql:
    """A node's rendered SQL as Spark SQL; a TranspileError becomes the node's SqlError."""
    try:
        return to_spark(node.sql or "", catalog)
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
