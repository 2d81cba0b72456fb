"""The Spark target: seeds, models and tests on a SparkSession, tables in its catalog.

Each node's rendered DuckDB SQL is transpiled to Spark SQL (spark_sql.py) and written to
target/compiled_spark/ before it runs. Materializations follow the DuckDB target's
promises as far as a file-based catalog allows:

- table: written under a temporary name, then swapped in (drop the old one, rename the
  new one). A model that fails leaves the previous table; the swap itself is two catalog
  calls, not one transaction.
- view: the SQL is analysed first, then `create or replace view` (a failing view leaves
  the previous one).
- incremental: the new rows are written to a temporary table first, then appended; with
  unique_key (Parquet tables have no delete) or a column that turns to text, the table is
  rebuilt as (old rows whose key is not among the new rows) + new rows and swapped in.
- ephemeral: inlined by the compiler, as on DuckDB.
- post hooks: transpiled too; `delete from t where c` becomes a rewrite of t without
  those rows (spark_sql.delete_as_rewrite), swapped in like a table.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from functools import reduce
from pathlib import Path
from typing import Any

from evalhouse.targets.spark.session import require_pyspark

require_pyspark()

from py4j.protocol import Py4JError  # noqa: E402 - after the check that pyspark is there
from pyspark.errors import PySparkException  # noqa: E402
from pyspark.sql import DataFrame, SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

from evalhouse.errors import NodeError, SqlError  # noqa: E402
from evalhouse.execute.materialize import TEMP_PREFIX  # noqa: E402
from evalhouse.execute.target import SAMPLE_ROWS, NodeOutcome  # noqa: E402
from evalhouse.project.config import SeedConfig  # noqa: E402
from evalhouse.project.nodes import DEFAULT_SCHEMA, Node, quote, schema_order  # noqa: E402
from evalhouse.targets.spark.connect import is_connect  # noqa: E402
from evalhouse.targets.spark.files import read_csv, seed_error, seed_frame  # noqa: E402
from evalhouse.targets.spark.sql import (  # noqa: E402
    FILE_SCHEMA,
    FileRead,
    SparkSql,
    delete_as_rewrite,
    spark_compiled_path,
    spark_error_line,
    to_spark,
    transpile_node,
    write_spark_sql,
)

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
        self.connect = is_connect(spark)  # a Spark Connect client: no SparkContext, no JVM here
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

    def bare_names(self) -> dict[str, str]:
        """name -> schema of each relation a bare name should find outside main (main's own
        need no schema): intermediate before any other schema, as DuckDB's readers look."""
        with self._lock:
            existing = list(self._existing)
        order = schema_order(sorted({schema for schema, _ in existing}))
        found: dict[str, str] = {}
        for schema in order:
            for other, name in existing:
                if other == schema and not name.startswith("__evalhouse"):
                    found.setdefault(name, schema)
        return {name: schema for name, schema in found.items() if schema != DEFAULT_SCHEMA}

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
        Spark can create a managed table with that name again. A Spark Connect client
        cannot reach the server's file system, and needs not: there the catalog is the
        server's, which outlives a killed client (docs/spark.md)."""
        if self.connect or self._kind(schema, name) is not None:
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
        """Transpile (loading the files the SQL reads), write target/compiled_spark/..."""
        statement = transpile_node(node, self)
        write_spark_sql(self.target_dir, node, statement)
        self._header_lines[node.unique_id] = len(statement.files)
        return statement

    def columns(self, spark_sql: str) -> list[str]:
        """The column names of a query (Spark analyses it; nothing runs)."""
        return list(self.spark.sql(spark_sql).columns)

    def values(self, spark_sql: str) -> list[Any]:
        """The first column of a query's rows (for a pivot's values: a small query)."""
        return [row[0] for row in self.spark.sql(spark_sql).collect()]

    @staticmethod
    def _format(node: Node) -> str:
        return str(node.config.extra.get("file_format", "parquet"))

    def _writer(self, node: Node, sql: str) -> Callable[[str], None]:
        return lambda relation: self.spark.sql(sql).write.format(self._format(node)).saveAsTable(relation)

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
            self._run_hook(node, str(hook))
        return rows

    def _run_hook(self, node: Node, hook: str) -> None:
        """A post hook; `delete from t where ...` becomes a rewrite of t without those rows,
        since Parquet tables have no delete."""
        delete = delete_as_rewrite(hook)
        if delete is None:
            for part in to_spark(hook).statements:
                self.spark.sql(part)
            return
        schema = delete.schema or node.config.schema
        self.swap_in(schema, delete.name, lambda relation: self.spark.sql(delete.keep_sql)
                     .write.format(self._format(node)).saveAsTable(relation))

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
            # text wins, as on DuckDB (execute/materialize.py): a rewrite below
            new_types = {f.name.lower(): f.dataType.typeName() for f in new.schema.fields}
            to_text = [f.name for f in old.schema.fields
                       if new_types.get(f.name.lower()) == "string" and f.dataType.typeName() != "string"]
            if to_text:
                old = old.select([F.col(q(c)).cast("string").alias(c) if c in to_text else F.col(q(c))
                                  for c in old.columns])
            aligned = self._align(node, old, new)
            rows = new.count()
            keys = node.config.unique_key
            if not keys and not to_text:
                aligned.write.insertInto(spark_relation(schema, name))
                return rows
            kept = old
            if keys:
                keys = [keys] if isinstance(keys, str) else list(keys)
                match = reduce(lambda a, b: a & b, [F.col(f"o.{k}").eqNullSafe(F.col(f"n.{k}")) for k in keys])
                kept = old.alias("o").join(aligned.alias("n"), match, "left_anti").select("o.*")
            combined = kept.unionByName(aligned)
            self.swap_in(schema, name, lambda relation: combined.write.format(self._format(node)).saveAsTable(relation))
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
            F.col(q(new_columns[c.lower()])).cast(old.schema[c].dataType).alias(c) if c.lower() in new_columns
            else F.lit(None).cast(old.schema[c].dataType).alias(c)
            for c in old.columns
        ])

    # -- files: seeds and read_csv()/read_parquet() in models -------------------------------
    def _load_seed(self, node: Node, config: SeedConfig) -> int:
        frame = seed_frame(self.spark, self.project_dir, node, config)
        try:
            return self.swap_in(node.config.schema, node.identifier,
                                lambda relation: frame.write.format("parquet").saveAsTable(relation))
        except (PySparkException, Py4JError) as exc:
            raise seed_error(node, self.project_dir / node.path, config, engine_message(exc)) from None

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
                    frame = read_csv(self.spark, path, read.header, read.delimiter or ",", read.quote,
                                     dict(read.column_types))
                    self.swap_in(FILE_SCHEMA, read.table,
                                 lambda rel, frame=frame: frame.write.format("parquet").saveAsTable(rel))
                self._files_loaded.add(read.table)

    def interrupt(self) -> None:
        if self.connect:
            self.spark.interruptAll()  # this session's operations on the server
        else:
            self.spark.sparkContext.cancelAllJobs()

    def retire_moved(self, nodes: list[Node], sources: set[tuple[str, str]]) -> list[str]:
        """Drop a relation an earlier layout left in another schema under a node's name (a
        bare name in `query` would read it first). Not undoable: Spark keeps no journal."""
        building = {n.identifier.lower(): n.config.schema.lower() for n in nodes
                    if n.kind in ("model", "seed") and n.config.materialized != "ephemeral"}
        with self._lock:
            moved = [(schema, name) for schema, name in self._existing
                     if building.get(name, schema) != schema and (schema, name) not in sources]
        for schema, name in moved:
            self._drop(schema, name)
        return [spark_relation(schema, name) for schema, name in moved]

    def finish(self, passed: bool) -> int:
        """Spark's tables are swapped in one by one and not set aside: a failed build keeps
        the tables it finished (README "Choices we made"; the DuckDB warehouse keeps none)."""
        return 0

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
