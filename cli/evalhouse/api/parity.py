"""Does the Spark build of a project equal its DuckDB build? Every relation compared.

Shared by the Spark parity tests (tests/spark_demo_parity.py) and the benchmark's Spark
contender (bench/spark_parity.py), which compares tables of tens of millions of rows: the
comparison runs in DuckDB, not in Python. Spark writes each relation to Parquet (a table
is read from its own Parquet files), and DuckDB reads those beside the warehouse.

The rule, for each relation: the same column names in the same order, the same number of
rows, and the same rows in any order. Numbers that need not be integers (float, double, a
decimal with decimal places) match when they differ by at most 1e-9 x max(1, |a|, |b|):
sums of many doubles add up in another order on each engine. NaN counts as null. Every
other value matches exactly. Build ids (random) are compared by the order of their builds
in metrics_history, and build times (built_at) are left out.

Rows are paired by sorting both sides on every column, the non-integer numbers rounded to
10 significant digits for the sort (a sum one engine ends in ...4999 and the other in
...5001 sorts the same), then compared pair by pair.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from evalhouse.api.operations import compile_only

if TYPE_CHECKING:
    from evalhouse.project.loaded import LoadedProject

TOLERANCE = 1e-9
BUILD_ID_COLUMNS = {"build_id", "previous_build_id"}
BUILD_TIME_COLUMNS = {"built_at"}
HISTORY = "metrics_history"


@dataclass
class RelationParity:
    """One relation compared: rows (on DuckDB), values compared (rows x columns), the
    largest difference |a - b| / max(1, |a|, |b|) among its non-integer numbers (None
    without any), and the first difference found, None when the two are the same."""
    name: str
    rows: int
    values: int
    max_difference: float | None
    difference: str | None


def relations(project: LoadedProject) -> list[str]:
    """schema.name of every seed and model that is a relation (ephemeral models are not),
    each in the schema its model names (main or intermediate)."""
    compiled = compile_only(project, write=False)
    return sorted(f"{n.config.schema}.{n.identifier}" for n in compiled.nodes.values()
                  if n.kind in ("model", "seed") and n.materialized != "ephemeral")


def build_order(rows: Iterable[tuple[Any, Any]]) -> dict[str, str]:
    """(build_id, built_at) rows -> {build_id: 'build 1', ...} by the start of each build."""
    starts: dict[str, Any] = {}
    for build_id, built_at in rows:
        starts[build_id] = min(built_at, starts.get(build_id, built_at))
    return {b: f"build {i + 1}" for i, b in enumerate(sorted(starts, key=lambda b: starts[b]))}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _is_fractional(duckdb_type: str) -> bool:
    """Numbers that need not be integers: compared to the tolerance."""
    kind = duckdb_type.upper()
    if kind.startswith("DECIMAL"):
        return not kind.rstrip(")").endswith(",0")
    return kind in ("FLOAT", "DOUBLE", "REAL")


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str]]:
    return [(row[0].lower(), row[1]) for row in con.execute(f"describe select * from {relation}").fetchall()]


def _normalized(column: str, fractional: bool, builds: dict[str, str]) -> str:
    """The select-list expression a column is compared through."""
    quoted = _quote(column)
    if column in BUILD_TIME_COLUMNS:
        return f"null as {quoted}"
    if column in BUILD_ID_COLUMNS and builds:
        cases = " ".join(f"when {_literal(k)} then {_literal(v)}" for k, v in builds.items())
        return f"case cast({quoted} as varchar) {cases} else cast({quoted} as varchar) end as {quoted}"
    if fractional:
        return f"case when isnan(cast({quoted} as double)) then null else cast({quoted} as double) end as {quoted}"
    return quoted


def _sort_key(column: str, fractional: bool) -> str:
    quoted = _quote(column)
    return f"printf('%.9e', {quoted}) nulls last" if fractional else f"{quoted} nulls last"


def _same(column: str, fractional: bool) -> str:
    d, s = f"d.{_quote(column)}", f"s.{_quote(column)}"
    if not fractional:
        return f"({d} is not distinct from {s})"
    # coalesce: a null on one side only makes the comparisons null, and a null is no match
    return (f"coalesce(({d} is null and {s} is null) or {d} = {s} or abs({d} - {s}) <= "
            f"{TOLERANCE!r} * greatest(1.0, abs({d}), abs({s})), false)")


def _difference(column: str) -> str:
    d, s = f"d.{_quote(column)}", f"s.{_quote(column)}"
    return f"max(abs({d} - {s}) / greatest(1.0, abs({d}), abs({s})))"


def compare_relation(con: duckdb.DuckDBPyConnection, name: str, duck: str, spark: str,
                     duck_builds: dict[str, str] | None = None,
                     spark_builds: dict[str, str] | None = None) -> RelationParity:
    """Compare relation `duck` with relation `spark` (both readable by `con`, say a table
    of the warehouse and a read_parquet(...)) by the rule above."""
    duck_columns, spark_columns = _columns(con, duck), _columns(con, spark)
    names = [c for c, _ in duck_columns]
    rows = con.execute(f"select count(*) from {duck}").fetchone()[0]
    if names != [c for c, _ in spark_columns]:
        return RelationParity(name, rows, 0, None, f"columns {names} on DuckDB, {[c for c, _ in spark_columns]} on Spark")
    spark_rows = con.execute(f"select count(*) from {spark}").fetchone()[0]
    if rows != spark_rows:
        return RelationParity(name, rows, 0, None, f"{rows} rows on DuckDB, {spark_rows} on Spark")
    fractional = [_is_fractional(a) or _is_fractional(b) for (_, a), (_, b) in zip(duck_columns, spark_columns, strict=True)]
    numbered = {}
    for side, relation, builds in (("d", duck, duck_builds or {}), ("s", spark, spark_builds or {})):
        select = ", ".join(_normalized(c, f, builds) for c, f in zip(names, fractional, strict=True))
        order = ", ".join(_sort_key(c, f) for c, f in zip(names, fractional, strict=True)) or "1"
        numbered[side] = (f"select row_number() over (order by {order}) as __row, * "
                          f"from (select {select} from {relation})")
    same = " and ".join(_same(c, f) for c, f in zip(names, fractional, strict=True)) or "true"
    differences = [_difference(c) for c, f in zip(names, fractional, strict=True) if f]
    paired = f"with d as ({numbered['d']}), s as ({numbered['s']}) select * from d join s using (__row)"
    summary = con.execute(
        f"with d as ({numbered['d']}), s as ({numbered['s']}) "
        f"select count(*) filter (where not ({same})), min(__row) filter (where not ({same}))"
        f"{''.join(', ' + x for x in differences)} from d join s using (__row)").fetchone()
    wrong, first = summary[0], summary[1]
    found = [x for x in summary[2:] if x is not None and not math.isnan(x)]
    largest = max(found) if found else (0.0 if differences and rows else None)
    difference = None
    if wrong:
        row = con.execute(f"select * exclude (__row) from ({paired}) where __row = {first}").fetchone()
        half = len(names)
        difference = (f"{wrong} of {rows} rows differ; the first: {row[:half]} on DuckDB, "
                      f"{row[half:]} on Spark")
    compared = len([c for c in names if c not in BUILD_TIME_COLUMNS])
    return RelationParity(name, rows, rows * compared, largest, difference)


def _spark_parquet(session: Any, name: str, export: Path) -> str:
    """Where DuckDB reads the Spark relation: a Parquet table's own files, else the
    relation written to Parquet under `export` (views; void columns as strings)."""
    described = {row[0].strip(): row[1] for row in session.sql(f"describe table extended {name}").collect()}
    location, provider = described.get("Location"), (described.get("Provider") or "").lower()
    if described.get("Type") != "VIEW" and provider == "parquet" and location and location.startswith("file:"):
        return location.removeprefix("file:")
    from pyspark.sql.functions import col

    frame = session.table(name)
    frame = frame.select(*[col(f"`{f.name}`").cast("string").alias(f.name) if f.dataType.typeName() == "void"
                           else col(f"`{f.name}`") for f in frame.schema.fields])
    folder = export / name
    shutil.rmtree(folder, ignore_errors=True)
    frame.write.parquet(folder.as_posix())
    return folder.as_posix()


def build_orders(con: duckdb.DuckDBPyConnection, session: Any, names: list[str]) -> tuple[dict, dict]:
    """The build order of each engine's build ids (empty without metrics_history in `names`)."""
    history = next((n for n in names if n.split(".")[-1] == HISTORY), None)
    if history is None:
        return {}, {}
    sql = f"select build_id, built_at from {history}"
    return build_order(con.execute(sql).fetchall()), build_order(tuple(r) for r in session.sql(sql).collect())


def compare_targets(project: LoadedProject, names: list[str], export: Path,
                    memory_limit: str | None = None) -> list[RelationParity]:
    """Each relation of `names` (schema.name) on Spark against the DuckDB warehouse; Spark's
    views are written to Parquet under `export` first. DuckDB sorts both sides of each
    relation, spilling under `export` above `memory_limit` (say '6GB'; DuckDB's default
    without), since the Spark session shares the machine."""
    from evalhouse.targets.spark.session import get_session, spark_spec

    session = get_session(spark_spec(project))
    export.mkdir(parents=True, exist_ok=True)
    config = {"temp_directory": (export / "duckdb_spill").as_posix(), "preserve_insertion_order": False,
              **({"memory_limit": memory_limit} if memory_limit else {})}
    with duckdb.connect(str(project.warehouse_path), read_only=True, config=config) as con:
        duck_builds, spark_builds = build_orders(con, session, names)
        compared = []
        for name in names:
            files = _spark_parquet(session, name, export)
            spark = f"read_parquet({_literal(files.rstrip('/') + '/**/*.parquet')})"
            compared.append(compare_relation(con, name, name, spark, duck_builds, spark_builds))
    return compared
