"""The Spark target: seeds, models and tests on a SparkSession, tables in its catalog.

Each node's rendered DuckDB SQL is transpiled to Spark SQL (spark_sql.py) and written to
target/compiled_spark/ before it runs. Materializations follow the DuckDB target's
promises as far as a file-based catalog allows:

- table: written under a temporary name, then swapped in (drop the old one, rename the
  new one). A model that fails leaves the previous table; the swap itself is two catalog
  calls, not one transaction.
- view: the SQL is analysed first, then `create or replace view` (a failing view leaves
  the previous one).
- incremental: the new rows are written to a temporary table first. Without unique_key
  they are appended. With unique_key, plain Parquet tables have no delete, so the table
  is rebuilt as (old rows whose key is not among the new rows) + new rows, and swapped in.
- ephemeral: inlined by the compiler, as on DuckDB.
"""

from __future__ import annotations

import csv
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import reduce
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .spark_session import get_session, require_pyspark, spark_spec

require_pyspark()

from py4j.protocol import Py4JError  # noqa: E402 - after the check that pyspark is there
from pyspark.errors import PySparkException  # noqa: E402
from pyspark.sql import DataFrame, SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402
from pyspark.sql import types as T  # noqa: E402

from .config import SeedConfig  # noqa: E402
from .errors import NodeError, ProjectError, SeedError, SqlError  # noqa: E402
from .materialize import TEMP_PREFIX  # noqa: E402
from .nodes import Node, quote  # noqa: E402
from .seeds import first_ragged_line  # noqa: E402
from .spark_sql import (  # noqa: E402
    FILE_SCHEMA,
    FileRead,
    SparkSql,
    TranspileError,
    spark_compiled_path,
    spark_error_line,
    spark_type,
    to_spark,
    transpile_node,
    write_spark_sql,
)
from .target import SAMPLE_ROWS, NodeOutcome  # noqa: E402

if TYPE_CHECKING:
    from .project import Project, QueryResult

DEFAULT_SCHEMA = "main"
_POSITION = re.compile(r";?\s*line \d+ pos \d+;?\s*$")


def q(identifier: str) -> str:
    """A Spark SQL identifier in backticks."""
    return "`" + identifier.replace("`", "``") + "`"


def spark_relation(schema: str, name: str) -> str:
    return f"{q(schema)}.{q(name)}"


def _engine_text(exc: BaseException) -> str:
    if hasattr(exc, "java_exception") and not isinstance(exc, PySparkException):
        return str(exc.java_exception.getMessage())  # type: ignore[attr-defined]
    return str(exc)


def engine_message(exc: BaseException) -> str:
    """The first line of what Spark said, without the Java stack trace or the position."""
    text = _engine_text(exc)
    first = next((line for line in text.splitlines() if line.strip()), type(exc).__name__)
    return _POSITION.sub("", first.strip()).rstrip("; ")


def is_engine_error(exc: BaseException) -> bool:
    return isinstance(exc, PySparkException | Py4JError)


class SparkTarget:
    name = "spark"

    def __init__(self, spark: SparkSession, project_dir: Path, target_dir: Path,
                 seed_configs: dict[str, SeedConfig]) -> None:
        self.spark = spark
        self.project_dir = project_dir
        self.target_dir = target_dir
        self.seed_configs = seed_configs
        self._lock = threading.Lock()
        self._schemas: set[str] = set()
        self._existing = self._list_relations()
        self._locations: dict[str, str] = {}
        self._files_loaded: set[str] = set()
        self._files_lock = threading.Lock()
        self._header_lines: dict[str, int] = {}

    # -- the catalog ------------------------------------------------------------------
    def _list_relations(self) -> dict[tuple[str, str], str]:
        out: dict[tuple[str, str], str] = {}
        for (database,) in self.spark.sql("show databases").collect():
            views = {r.viewName for r in self.spark.sql(f"show views in {q(database)}").collect() if not r.isTemporary}
            for row in self.spark.sql(f"show tables in {q(database)}").collect():
                if not row.isTemporary:
                    out[(database, row.tableName)] = "view" if row.tableName in views else "table"
        return out

    def relations(self) -> frozenset[str]:
        """Every relation, named as the renderer names them (for is_incremental())."""
        with self._lock:
            return frozenset(f"{quote(schema)}.{quote(name)}" for schema, name in self._existing)

    @staticmethod
    def _key(schema: str, name: str) -> tuple[str, str]:
        return schema.lower(), name.lower()  # the metastore keeps names in lower case

    def _kind(self, schema: str, name: str) -> str | None:
        with self._lock:
            return self._existing.get(self._key(schema, name))

    def _record(self, schema: str, name: str, kind: str | None) -> None:
        with self._lock:
            if kind is None:
                self._existing.pop(self._key(schema, name), None)
            else:
                self._existing[self._key(schema, name)] = kind

    def ensure_schema(self, schema: str) -> None:
        with self._lock:
            if schema.lower() in self._schemas:
                return
            if not self.spark.catalog.databaseExists(schema):
                self.spark.sql(f"create database if not exists {q(schema)}")
            self._schemas.add(schema.lower())

    def drop_leftovers(self) -> list[str]:
        """Drop temporary tables a killed build left behind (their swap never happened)."""
        dropped = []
        for (schema, name), kind in list(self._existing.items()):
            if kind == "table" and name.startswith(TEMP_PREFIX):
                self.spark.sql(f"drop table if exists {spark_relation(schema, name)}")
                self._record(schema, name, None)
                dropped.append(spark_relation(schema, name))
        return dropped

    def _drop(self, schema: str, name: str) -> None:
        kind = self._kind(schema, name)
        if kind is not None:
            self.spark.sql(f"drop {'view' if kind == 'view' else 'table'} if exists {spark_relation(schema, name)}")
            self._record(schema, name, None)

    def _remove_stale_files(self, schema: str, name: str) -> None:
        """Delete the files of a table the catalog does not know (a killed build's), so
        Spark can create a managed table with that name again."""
        if self._kind(schema, name) is not None:
            return
        with self._lock:
            if schema not in self._locations:
                rows = self.spark.sql(f"describe database {q(schema)}").collect()
                self._locations[schema] = next(str(r[1]) for r in rows if str(r[0]).lower() == "location")
        jvm = self.spark._jvm  # Hadoop's FileSystem reaches every storage Spark writes to
        path = jvm.org.apache.hadoop.fs.Path(self._locations[schema].rstrip("/") + "/" + name.lower())
        filesystem = path.getFileSystem(self.spark._jsc.hadoopConfiguration())
        if filesystem.exists(path):
            filesystem.delete(path, True)

    def swap_in(self, schema: str, name: str, write: Callable[[str], None]) -> int:
        """Write a table under a temporary name with `write(relation)`, then swap it in."""
        self.ensure_schema(schema)
        temp_name = TEMP_PREFIX + name.lower()
        temp = spark_relation(schema, temp_name)
        self.spark.sql(f"drop table if exists {temp}")
        self._remove_stale_files(schema, temp_name)
        try:
            write(temp)
            rows = self.spark.table(temp).count()
            self._drop(schema, name)
            self._remove_stale_files(schema, name)
            self.spark.sql(f"alter table {temp} rename to {spark_relation(schema, name)}")
            self._record(schema, name, "table")
        finally:
            self.spark.sql(f"drop table if exists {temp}")
        return rows

    # -- running nodes ------------------------------------------------------------------
    def run_node(self, node: Node, full_refresh: bool) -> NodeOutcome:
        if node.kind == "seed":
            config = self.seed_configs.get(node.name) or SeedConfig()
            return NodeOutcome(rows=self._load_seed(node, config))
        statement = self.prepare(node)
        if node.kind == "model":
            return NodeOutcome(rows=self._materialize(node, statement, full_refresh))
        frame = self.spark.sql(statement.sql)
        failures = frame.count()
        if failures == 0:
            return NodeOutcome(failures=0)
        sample = [row.asDict() for row in frame.limit(SAMPLE_ROWS).collect()]
        return NodeOutcome(failures=failures, sample=sample)

    def prepare(self, node: Node) -> SparkSql:
        """Transpile, write target/compiled_spark/..., and load the files the SQL reads."""
        statement = transpile_node(node)
        write_spark_sql(self.target_dir, node, statement)
        self._header_lines[node.unique_id] = len(statement.files)
        self.load_files(statement.files)
        return statement

    def _writer(self, node: Node, sql: str) -> Callable[[str], None]:
        file_format = str(node.config.extra.get("file_format", "parquet"))
        return lambda relation: self.spark.sql(sql).write.format(file_format).saveAsTable(relation)

    def _materialize(self, node: Node, statement: SparkSql, full_refresh: bool) -> int | None:
        schema, name = node.config.schema, node.identifier
        kind = node.config.materialized
        rows: int | None = None
        if kind == "view":
            self.spark.sql(statement.sql)  # analysed here: a broken view fails before the old one goes
            self.ensure_schema(schema)
            if self._kind(schema, name) == "table":
                self._drop(schema, name)
            self.spark.sql(f"create or replace view {spark_relation(schema, name)} as\n{statement.sql}")
            self._record(schema, name, "view")
        elif kind == "table":
            rows = self.swap_in(schema, name, self._writer(node, statement.sql))
        elif kind == "incremental":
            rows = self._incremental(node, statement.sql, full_refresh)
        else:
            return None
        hooks = node.config.extra.get("post_hook") or []
        for hook in [hooks] if isinstance(hooks, str) else hooks:
            for part in to_spark(str(hook)).statements:
                self.spark.sql(part)
        return rows

    def _incremental(self, node: Node, sql: str, full_refresh: bool) -> int:
        schema, name = node.config.schema, node.identifier
        if self._kind(schema, name) != "table" or full_refresh:
            return self.swap_in(schema, name, self._writer(node, sql))
        # the new rows first, into a table of their own: the SQL may read this very table
        new_name = TEMP_PREFIX + "new__" + name.lower()
        new_relation = spark_relation(schema, new_name)
        self.spark.sql(f"drop table if exists {new_relation}")
        self._remove_stale_files(schema, new_name)
        self._writer(node, sql)(new_relation)
        try:
            old = self.spark.table(spark_relation(schema, name))
            new = self.spark.table(new_relation)
            aligned = self._align(node, old, new)
            rows = new.count()
            keys = node.config.unique_key
            if not keys:
                aligned.write.insertInto(spark_relation(schema, name))
                return rows
            keys = [keys] if isinstance(keys, str) else list(keys)
            match = reduce(lambda a, b: a & b, [F.col(f"o.{k}").eqNullSafe(F.col(f"n.{k}")) for k in keys])
            kept = old.alias("o").join(aligned.alias("n"), match, "left_anti").select("o.*")
            combined = kept.unionByName(aligned)
            self.swap_in(schema, name, lambda relation: combined.write.format("parquet").saveAsTable(relation))
            return rows
        finally:
            self.spark.sql(f"drop table if exists {new_relation}")

    @staticmethod
    def _align(node: Node, old: DataFrame, new: DataFrame) -> DataFrame:
        """The new rows with the table's columns, by name (missing ones null), as DuckDB's
        `insert ... by name` does."""
        new_columns = {c.lower(): c for c in new.columns}
        extra = sorted(set(new_columns) - {c.lower() for c in old.columns})
        if extra:
            raise SqlError(
                f"model {node.name} failed: the new rows have column(s) the table lacks: {', '.join(extra)}",
                path=node.path,
                hint="run with --full-refresh to rebuild the table with its new columns",
            )
        return new.select([
            F.col(q(new_columns[c.lower()])).alias(c) if c.lower() in new_columns
            else F.lit(None).cast(old.schema[c].dataType).alias(c)
            for c in old.columns
        ])

    # -- files: seeds and read_csv()/read_parquet() in models -------------------------------
    def _read_csv(self, path: Path, header: bool, delimiter: str, quote_char: str | None,
                  column_types: dict[str, str]) -> DataFrame:
        """A CSV file through Spark's reader, with the declared column types and the other
        columns' types inferred (integers as BIGINT, as DuckDB's sniffer has them)."""
        with path.open(newline="", encoding="utf-8", errors="replace") as handle:
            first = next(csv.reader(handle, delimiter=delimiter, quotechar=quote_char or '"'), [])
        names = first if header else [f"column{i}" for i in range(len(first))]
        # a quote inside a quoted value is doubled (RFC 4180, and DuckDB's default), not backslashed
        quote_char = quote_char or '"'
        reader = (self.spark.read.option("header", header).option("sep", delimiter).option("mode", "FAILFAST")
                  .option("quote", quote_char).option("escape", quote_char))
        declared = {k.lower(): spark_type(v) for k, v in column_types.items()}
        inferred: dict[str, str] = {}
        if any(n.lower() not in declared for n in names):
            sniffed = reader.option("inferSchema", True).csv(path.as_posix())
            for name, field in zip(names, sniffed.schema.fields, strict=False):
                kind = field.dataType
                inferred[name] = "BIGINT" if isinstance(kind, T.IntegerType) else kind.simpleString()
        ddl = ", ".join(f"{q(n)} {declared.get(n.lower()) or inferred.get(n, 'STRING')}" for n in names)
        return reader.schema(ddl).csv(path.as_posix())

    def _load_seed(self, node: Node, config: SeedConfig) -> int:
        path = self.project_dir / node.path
        if path.stat().st_size == 0:
            raise SeedError(f"seed {node.name} is an empty file", path=node.path, line=1,
                            hint="add a header row and data, or delete the file")
        try:
            if path.suffix.lower() == ".parquet":
                frame = self.spark.read.parquet(path.as_posix())
            else:
                delimiter = config.delimiter or ("\t" if path.suffix.lower() == ".tsv" else ",")
                frame = self._read_csv(path, config.header, delimiter, config.quote, config.column_types)
            return self.swap_in(node.config.schema, node.identifier,
                                lambda relation: frame.write.format("parquet").saveAsTable(relation))
        except (PySparkException, Py4JError) as exc:
            raise self._seed_error(node, path, config, exc) from None

    @staticmethod
    def _seed_error(node: Node, path: Path, config: SeedConfig, exc: BaseException) -> SeedError:
        if path.suffix.lower() != ".parquet":
            ragged = first_ragged_line(path, config)
            if ragged is not None:
                line, fields, expected = ragged
                return SeedError(
                    f"seed {node.name} has a row with {fields} fields where the header has {expected}",
                    path=node.path, line=line,
                    hint="make every row have as many fields as the header (quote values that contain the delimiter)",
                )
        return SeedError(f"seed {node.name} could not be loaded on Spark: {engine_message(exc)}", path=node.path,
                         hint="fix that row, or set its column types under seeds: in project.yml")

    def load_files(self, files: list[FileRead]) -> None:
        """Load each data file a statement reads into its hidden table, once per process
        run: CSV through Spark's CSV reader into Parquet, Parquet as a table over the file."""
        for read in files:
            with self._files_lock:
                if read.table in self._files_loaded:
                    continue
                self.ensure_schema(FILE_SCHEMA)
                relation = spark_relation(FILE_SCHEMA, read.table)
                if read.kind == "parquet":
                    self._drop(FILE_SCHEMA, read.table)
                    location = read.path.replace("'", "\\'")
                    self.spark.sql(f"create table {relation} using parquet location '{location}'")
                    self._record(FILE_SCHEMA, read.table, "table")
                else:
                    path = Path(read.path)
                    frame = self._read_csv(path, read.header, read.delimiter or ",", read.quote, dict(read.column_types))
                    self.swap_in(FILE_SCHEMA, read.table,
                                 lambda rel, frame=frame: frame.write.format("parquet").saveAsTable(rel))
                self._files_loaded.add(read.table)

    # -- errors ---------------------------------------------------------------------------
    def node_error(self, node: Node, exc: Exception) -> NodeError | None:
        if not is_engine_error(exc):
            return None
        line = spark_error_line(_engine_text(exc))
        if line is not None:
            line += self._header_lines.get(node.unique_id, 0)  # the file starts with a line per data file
        return SqlError(
            f"{node.kind} {node.name} failed on Spark: {engine_message(exc)}"
            + (f" (line {line} of the Spark SQL)" if line else ""),
            path=node.path,
            hint=f"the Spark SQL (transpiled from DuckDB by sqlglot) is in {spark_compiled_path(node)}",
        )


@contextmanager
def open_spark_target(project: Project, wait_seconds: float = 0.0) -> Iterator[SparkTarget]:
    """The Spark target for a build; the session outlives it (show and query reuse it)."""
    spark = get_session(spark_spec(project), wait_seconds)
    target = SparkTarget(spark, project.dir, project.target_dir, project.config.seeds)
    target.drop_leftovers()
    target.ensure_schema(DEFAULT_SCHEMA)
    spark.catalog.setCurrentDatabase(DEFAULT_SCHEMA)
    yield target


def spark_query(project: Project, sql: str, wait_seconds: float = 0.0, *, hint: str) -> QueryResult:
    """Run SQL (DuckDB's dialect, transpiled; Spark SQL when sqlglot cannot read it) on
    the tables a Spark build wrote."""
    from .project import QueryResult

    spark = get_session(spark_spec(project), wait_seconds)
    if not spark.catalog.databaseExists(DEFAULT_SCHEMA):
        raise ProjectError("the Spark warehouse has no tables yet", hint="run 'evalhouse build --target spark' first")
    spark.catalog.setCurrentDatabase(DEFAULT_SCHEMA)
    try:
        statement = to_spark(sql)
    except TranspileError:
        statement = SparkSql([sql])
    try:
        if statement.files:
            SparkTarget(spark, project.dir, project.target_dir, project.config.seeds).load_files(statement.files)
        frame: Any = None
        for part in statement.statements:
            frame = spark.sql(part)
        columns = list(frame.columns) if frame is not None else []
        return QueryResult(columns, [tuple(row) for row in frame.collect()] if columns else [])
    except (PySparkException, Py4JError) as exc:
        raise SqlError(f"the query failed on Spark: {engine_message(exc)}", hint=hint) from None
