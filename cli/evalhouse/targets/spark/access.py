"""Opening the Spark target for a build, and read-only queries on what a Spark build wrote."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from evalhouse.errors import ProjectError, SqlError
from evalhouse.targets.spark.session import get_session, spark_spec
from evalhouse.targets.spark.target import DEFAULT_SCHEMA, SparkTarget, engine_message

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from evalhouse.execute.query_result import QueryResult
    from evalhouse.project.loaded import LoadedProject


def register_functions(spark: SparkSession) -> None:
    """The functions DuckDB gets from sql_functions.py, as Spark Python UDFs (temporary:
    a table may call them, a view may not; on a cluster the executors need scipy)."""
    from evalhouse.compile.sql_functions import FUNCTIONS

    def null_safe(compute: Callable[..., Any]) -> Callable[..., float | None]:
        def call(*args: float | None) -> float | None:
            if any(arg is None for arg in args):
                return None
            value = float(compute(*(float(a) for a in args)))
            return None if math.isnan(value) else value

        return call

    for name, compute in FUNCTIONS.items():
        spark.udf.register(name, null_safe(compute), "double")


def _session(project: LoadedProject, wait_seconds: float) -> SparkSession:
    """The session, its local folders (log config, metastore, warehouse) recorded for clean."""
    spec = spark_spec(project)
    if spec.remote is None:  # a Spark Connect server keeps its folders itself
        local = [spec.local_warehouse] if spec.local_warehouse else []
        project.note_written(spec.log_config, *local, *([spec.metastore_dir] if spec.metastore_dir else []))
    return get_session(spec, wait_seconds)


@contextmanager
def open_spark_target(project: LoadedProject, wait_seconds: float = 0.0) -> Iterator[SparkTarget]:
    """The Spark target for a build; the session outlives it (show and query reuse it)."""
    spark = _session(project, wait_seconds)
    target = SparkTarget(spark, project.dir, project.target_dir, project.config.seeds)
    target.drop_leftovers()
    register_functions(spark)
    target.ensure_schema(DEFAULT_SCHEMA)
    spark.catalog.setCurrentDatabase(DEFAULT_SCHEMA)
    yield target


def spark_query(project: LoadedProject, sql: str, wait_seconds: float = 0.0, *, hint: str) -> QueryResult:
    """Run SQL (DuckDB's dialect, transpiled; Spark SQL when sqlglot cannot read it) on
    the tables a Spark build wrote."""
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException

    from evalhouse.execute.query_result import QueryResult
    from evalhouse.targets.spark.sql import SparkSql, TranspileError, to_spark

    spark = _session(project, wait_seconds)
    if not spark.catalog.databaseExists(DEFAULT_SCHEMA):
        raise ProjectError("the Spark warehouse has no tables yet", hint="run 'evalhouse build --target spark' first")
    spark.catalog.setCurrentDatabase(DEFAULT_SCHEMA)
    register_functions(spark)
    try:
        catalog = SparkTarget(spark, project.dir, project.target_dir, project.config.seeds)
        try:
            statement = to_spark(sql, catalog, catalog.bare_names())
        except TranspileError:
            statement = SparkSql([sql])
        frame: Any = None
        for part in statement.statements:
            frame = spark.sql(part)
        columns = list(frame.columns) if frame is not None else []
        return QueryResult(columns, [tuple(row) for row in frame.collect()] if columns else [])
    except (PySparkException, Py4JError) as exc:
        raise SqlError(f"the query failed on Spark: {engine_message(exc)}", hint=hint) from None
