"""The cut demo and the comparison of a Spark build with the DuckDB build, shared by
tests/test_spark_demo.py (local Spark) and tests/test_spark_connect.py (Spark Connect).

The cut demo is `evalhouse init`'s demo with the ratings and tags of users 1 to
KEEP_USERS only: it still gives rows to every relation the full demo fills. Each engine
builds once, then runs SECOND_RUN again, so the incremental models append and merge and
stability compares two builds; the comparisons draw RESAMPLES replicates.

Every relation (seed, view, table, incremental; ephemeral models are no relations) is
compared: the same column names, the same rows (in any order), floats to 1e-9 (relative
to the value above 1, tests/oracles/compare.py: sums of ~10^4 doubles add up in another
order on each engine), the rest exactly. Build ids (random) are compared by the order of
their builds, and build times (built_at) are left out.
"""

from __future__ import annotations

import csv
import math
from decimal import Decimal
from pathlib import Path

from oracles.compare import is_close
from warehouse_reader import read_warehouse

from evalhouse import Project, RunOptions
from evalhouse.api.operations import compile_only, query
from evalhouse.api.scaffold import init_project

KEEP_USERS = 150
# the comparisons' bootstrap and randomization replicates: the demo's 1,000 compare no more
# of the two engines than 100 do, and take a fifth of the Spark build
RESAMPLES = 100
SECOND_RUN = ["recs_history+", "metrics_history+"]  # the history models and what reads them
BUILD_ID_COLUMNS = {"build_id", "previous_build_id"}
BUILD_TIME_COLUMNS = {"built_at"}


def _keep_first_users(path: Path) -> None:
    """Rewrite a MovieLens CSV (userId first) with the rows of users 1..KEEP_USERS."""
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    kept = [rows[0]] + [r for r in rows[1:] if int(r[0]) <= KEEP_USERS]
    path.unlink()  # the demo's seed files are read-only
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(kept)


def write_cut_demo(root: Path, spark_settings: str) -> Path:
    """The demo in `root` with the cut seeds and `spark_settings` appended to project.yml."""
    init_project(root)
    seeds = root / "seeds" / "movielens"
    for name in ("ratings.csv", "tags.csv"):
        _keep_first_users(seeds / name)
    with (root / "project.yml").open("a", encoding="utf-8") as f:
        f.write(spark_settings)
    return root


def build_twice(project: Project, target: str, threads: int) -> tuple:
    """The build, then SECOND_RUN run again: (first result, second result)."""
    first = project.build(RunOptions(target=target, report=False, mlflow=False, threads=threads))
    second = project.run(RunOptions(target=target, select=SECOND_RUN, report=False, mlflow=False,
                                    threads=threads))
    return first, second


def failures(run) -> list[str]:
    return [f"{r.name}: {r.message}" for r in run.results if r.status in ("error", "skipped")]


def data_test_verdicts(runs) -> dict[str, tuple]:
    return {r.name: (r.status, r.failures) for run in runs for r in run.results if r.kind == "test"}


def relations(project) -> list[str]:
    compiled = compile_only(project, write=False)
    # schema.name: each engine is read in the schema the model names (main or intermediate)
    return sorted(f"{n.config.schema}.{n.identifier}" for n in compiled.nodes.values()
                  if n.kind in ("model", "seed") and n.materialized != "ephemeral")


def _value(value):
    if isinstance(value, Decimal):  # Spark's DECIMAL(20, 0) for DuckDB's UBIGINT, exact sums
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _sort_key(row):
    return tuple((v is None, f"{v:.9e}" if isinstance(v, float) else str(v)) for v in row)


def _build_order(rows_of_history) -> dict[str, str]:
    """Build ids by the order of their builds: the first build's id -> 'build 1', ..."""
    starts: dict[str, object] = {}
    for build_id, built_at in rows_of_history:
        starts[build_id] = min(built_at, starts.get(build_id, built_at))
    return {b: f"build {i + 1}" for i, b in enumerate(sorted(starts, key=lambda b: starts[b]))}


def comparable_rows(columns, rows, builds):
    out = []
    for row in rows:
        values = []
        for column, value in zip(columns, row, strict=True):
            if column in BUILD_ID_COLUMNS:
                value = builds.get(value, value)
            elif column in BUILD_TIME_COLUMNS:
                assert value is not None
                value = None
            values.append(_value(value))
        out.append(tuple(values))
    return sorted(out, key=_sort_key)


def duckdb_rows(project, sql):
    with read_warehouse(str(project.warehouse_path)) as con:
        result = con.execute(sql)
        return [d[0].lower() for d in result.description], result.fetchall()


def spark_rows(project, relation):
    """A relation's columns and rows, read straight from the session (evalhouse's query
    lists the catalog first, which costs more than reading a small table)."""
    from evalhouse.targets.spark.session import get_session, spark_spec

    frame = get_session(spark_spec(project)).table(relation)
    return [c.lower() for c in frame.columns], [tuple(row) for row in frame.collect()]


def first_difference(left, right) -> str | None:
    """Where two sorted row lists differ (floats to 1e-9, the rest exactly), or None."""
    if len(left) != len(right):
        return f"{len(left)} rows on DuckDB, {len(right)} on Spark"
    for a, b in zip(left, right, strict=True):
        same = all(is_close(x, y) if isinstance(x, float) or isinstance(y, float) else x == y
                   for x, y in zip(a, b, strict=True))
        if not same:
            return f"{a} on DuckDB, {b} on Spark"
    return None


def differing_relations(project, names: list[str]) -> list[str]:
    """Each relation whose Spark table differs from the DuckDB one, with its first difference."""
    history = "select build_id, built_at from metrics_history"
    duck_builds = _build_order(duckdb_rows(project, history)[1])
    spark_builds = _build_order(query(project, history, target="spark").rows)
    assert sorted(duck_builds.values()) == sorted(spark_builds.values()) == ["build 1", "build 2"]
    differing = []
    for name in names:
        duck_columns, duck_data = duckdb_rows(project, f"select * from {name}")
        spark_columns, spark_data = spark_rows(project, name)
        assert duck_columns == spark_columns, name
        difference = first_difference(comparable_rows(duck_columns, duck_data, duck_builds),
                                      comparable_rows(spark_columns, spark_data, spark_builds))
        if difference:
            differing.append(f"{name}: {difference}")
    return differing
