"""`evalhouse compile --target spark`: render for Spark and transpile, without starting Spark."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from evalhouse.compile.compiler import CompiledProject, compile_project
from evalhouse.errors import SqlError
from evalhouse.execute.materialize import TEMP_PREFIX
from evalhouse.project.nodes import quote
from evalhouse.targets.spark.session import spark_spec
from evalhouse.targets.spark.sql import transpile_node, write_spark_sql

if TYPE_CHECKING:
    from evalhouse.project.loaded import LoadedProject


def local_spark_tables(warehouse: str) -> frozenset[str]:
    """Tables a Spark build left in a local warehouse folder (Hive's layout: one folder per
    table, `<schema>.db/<table>`), for is_incremental(). Views have no folder, and do not
    matter here: only an incremental model's table does."""
    root = Path(warehouse.removeprefix("file:"))
    if not root.is_dir():
        return frozenset()
    found = set()
    for schema_dir in root.glob("*.db"):
        for table_dir in schema_dir.iterdir():
            if table_dir.is_dir() and not table_dir.name.startswith((TEMP_PREFIX, ".", "_")):
                found.add(f"{quote(schema_dir.name.removesuffix('.db'))}.{quote(table_dir.name)}")
    return frozenset(found)


def compile_for_spark(project: LoadedProject, *, check_sql: bool = True) -> CompiledProject:
    """Render for Spark (is_incremental() sees the tables of a local Spark warehouse; on a
    cluster's or a Spark Connect server's it renders as for a first build)."""
    warehouse = spark_spec(project).local_warehouse
    existing = local_spark_tables(warehouse.as_posix()) if warehouse else frozenset()
    return compile_project(project, existing_relations=existing, check_sql=check_sql, target="spark")


def write_spark_compiled(project: LoadedProject, compiled: CompiledProject) -> None:
    """Write each node's Spark SQL under target/; the first transpile error is raised after
    every node was tried, naming the others."""
    failed: list[SqlError] = []
    for node in compiled.nodes.values():
        if node.kind == "seed" or node.sql is None or node.materialized == "ephemeral":
            continue
        try:
            write_spark_sql(project.target_dir, node, transpile_node(node))
        except SqlError as exc:
            failed.append(exc)
    if failed:
        first = failed[0]
        others = f" ({len(failed) - 1} more: {', '.join(Path(str(e.path)).stem for e in failed[1:])})" if len(failed) > 1 else ""
        raise SqlError(first.message + others, path=first.path, hint=first.hint)
    return compiled
