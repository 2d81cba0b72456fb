"""The cut demo and the comparison of a Spark build with the DuckDB build, shared by
tests/test_spark_demo.py (local Spark) and tests/test_spark_connect.py (Spark Connect).

The cut demo is `evalhouse init`'s demo with the ratings and tags of users 1 to
KEEP_USERS only: it still gives rows to every relation the full demo fills. Each engine
builds once, then runs SECOND_RUN again, so the incremental models append and merge and
stability compares two builds; the comparisons draw RESAMPLES replicates.

Every relation (seed, view, table, incremental; ephemeral models are no relations) is
compared by evalhouse/api/parity.py, which the benchmark's Spark contender shares: the
same column names, the same rows (in any order), non-integer numbers to 1e-9 (relative to
the value above 1: sums of ~10^4 doubles add up in another order on each engine), the rest
exactly. Build ids (random) are compared by the order of their builds, and build times
(built_at) are left out.
"""

from __future__ import annotations

import csv
from pathlib import Path

from warehouse_reader import read_warehouse

from evalhouse import Project, RunOptions
from evalhouse.api.operations import query
from evalhouse.api.parity import compare_targets
from evalhouse.api.scaffold import init_project

KEEP_USERS = 150
# the comparisons' bootstrap and randomization replicates: the demo's 1,000 compare no more
# of the two engines than 100 do, and take a fifth of the Spark build
RESAMPLES = 100
SECOND_RUN = ["recs_history+", "metrics_history+"]  # the history models and what reads them


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


def duckdb_rows(project, sql):
    with read_warehouse(str(project.warehouse_path)) as con:
        result = con.execute(sql)
        return [d[0].lower() for d in result.description], result.fetchall()


def differing_relations(project, names: list[str], export: Path) -> list[str]:
    """Each relation whose Spark table differs from the DuckDB one, with its first difference
    (evalhouse/api/parity.py; Spark writes its views to Parquet under `export`)."""
    for target in ("duckdb", "spark"):
        builds = query(project, "select count(distinct build_id) from metrics_history", target=target).rows
        assert [tuple(row) for row in builds] == [(2,)], (target, builds)
    return [f"{p.name}: {p.difference}" for p in compare_targets(project, names, export) if p.difference]
