"""The demo project (what `evalhouse init` copies) built on DuckDB and on local Spark gives
the same tables and the same data test verdicts.

The copy is the demo with its default vars, three changes aside: project.yml gets quick
local Spark settings (SPARK_SETTINGS below), the comparisons draw 100 replicates instead of
1,000 (RESAMPLES), and the MovieLens seed keeps the ratings and
tags of users 1 to 150 only (about a quarter of the 100k ratings): the whole demo takes
about five minutes on local Spark, the cut seed a little less (the cost is per node more
than per row), and the comparison of the tables less again. The cut seed still gives rows
to every relation the full demo fills: the empty ones are empty on both (no inference log,
no candidate files, no probability scores for log_loss, no duplicated recs).

Each engine builds once, then runs the history models and what reads them a second time,
so the incremental models append (recs_history, with its post hook's delete) and merge
(metrics_history, unique_key), and stability compares two builds.

Every relation (seed, view, table, incremental; ephemeral models are no relations) is
compared (evalhouse/api/parity.py, which the benchmark's Spark contender shares): the same
column names, the same rows (in any order), non-integer numbers to 1e-9 (relative to the
value above 1: sums of ~10^4 doubles add up in another order on each engine), the rest
exactly. Two kinds of value differ by construction and are
compared through a mapping: build ids (a build's invocation id, random) become "the first
build" and "the second build" by their order, and build times (built_at, when each build
started) are left out. The cut demo and the comparison are in spark_demo_parity.py, which
tests/test_spark_connect.py shares to build the same demo through Spark Connect.

One SparkSession serves the module (it takes seconds to start); the module stops it at
the end, as tests/test_spark.py does, so that the next session can open a catalog.

MovieLens has no zero rating (they start at 0.5), so the demo never takes MAPE's zero
branch; a test builds the demo's regression macros on a few pairs that do, on both
engines. Another builds the check by which candidate_file_lists finds a list holding an
item twice (sorted_list_has_repeat) on a few lists of text ids: the demo has no duplicated recs.
"""

from __future__ import annotations

import shutil

import pytest
from spark_demo_parity import (
    RESAMPLES,
    build_twice,
    data_test_verdicts,
    differing_relations,
    duckdb_rows,
    failures,
    write_cut_demo,
)

from evalhouse import Project, RunOptions
from evalhouse.api.operations import query
from evalhouse.api.parity import compare_targets, relations
from evalhouse.api.scaffold import init_project
from evalhouse.targets.spark.sql import to_spark

# Quick local Spark for small data: a short-lived JVM (C1 only, the serial collector), two
# shuffle partitions, no whole-stage code generation (compiling it costs more than running
# a small query), no adaptive re-planning, and the in-memory catalog (the Derby metastore
# costs a second a table; this module's one session never needs it back after a restart,
# tests/test_spark.py checks the persistent catalog). Measured on the cut demo: 146 s for
# the Spark build with the settings of tests/test_spark.py, 110 s with these, 88 s with
# two threads. C1 alone reserves 48 MB for compiled code, which the demo fills ("Out of
# space in CodeCache", the JVM gone): the cache is made larger, here and in test_spark.py
# (a test process keeps the JVM of its first Spark session, whichever module started it).
SPARK_SETTINGS = """
targets:
  spark:
    config:
      spark.driver.extraJavaOptions: "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:ReservedCodeCacheSize=512m"
      spark.sql.shuffle.partitions: 2
      spark.sql.codegen.wholeStage: false
      spark.sql.adaptive.enabled: false
      spark.sql.catalogImplementation: in-memory
"""
SPARK_THREADS = 2


# -- the transpiler's corrections the demo needs: no Spark needed --------------------------
def test_avg_is_a_double_and_cte_hints_go():
    sql = to_spark("with t as not materialized (select 1.0 as x) "
                   "select avg(x), avg(distinct x), avg(x) over () from t").sql
    assert "MATERIALIZED" not in sql
    assert sql.count("AVG(CAST(x AS DOUBLE))") == 2 and "AVG(DISTINCT CAST(x AS DOUBLE))" in sql


class _Catalog:
    """What a session would say about the query below: its pivot values and columns."""

    def load_files(self, files):
        pass

    def values(self, spark_sql):
        assert "DISTINCT" in spark_sql
        return ["b#@000000000010", None, "a#", "b#@000000000005"]

    def columns(self, spark_sql):
        return ["id", "a#", "b#@000000000005", "b#@000000000010"]


def test_a_pivot_and_columns_become_aggregates_and_named_columns():
    sql = to_spark(
        "select id, columns('^([^#]+)#(?:(@)0*([0-9]+))?$') as '\\1\\2\\3' "
        "from (pivot long on name using first(value) group by id) as wide", _Catalog()).sql
    assert "PIVOT (" not in sql.upper() and "COLUMNS(" not in sql.upper()
    assert sql.index("'a#'") < sql.index("'b#@000000000005'") < sql.index("'b#@000000000010'")  # sorted
    assert "FIRST(value) FILTER(WHERE" in sql
    assert "`a#` AS `a`" in sql and "`b#@000000000005` AS `b@5`" in sql and "`b#@000000000010` AS `b@10`" in sql


# -- the demo on both engines ---------------------------------------------------------------
@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return write_cut_demo(tmp_path_factory.mktemp("spark_demo") / "demo", SPARK_SETTINGS)


@pytest.fixture(scope="module")
def builds(demo):
    """The demo built on DuckDB and on Spark, then the history models run once more."""
    from evalhouse.targets.spark.session import stop_session

    project = Project.load(demo, vars={"comparison_resamples": RESAMPLES})
    try:
        results = {target: build_twice(project, target, SPARK_THREADS if target == "spark" else 1)
                   for target in ("duckdb", "spark")}
        yield project, results
    finally:
        stop_session()  # tests/test_spark.py, in the same process, starts its own session


def test_the_demo_builds_on_spark(builds):
    _, results = builds
    for target, runs in results.items():
        for run in runs:
            assert not failures(run), (target, failures(run))
    duck_first, spark_first = results["duckdb"][0], results["spark"][0]
    assert [r.name for r in duck_first.results if r.kind == "model"] == [
        r.name for r in spark_first.results if r.kind == "model"]


def test_every_table_on_spark_equals_the_duckdb_build(builds, tmp_path):
    project, _ = builds
    names = relations(project)
    differing = differing_relations(project, names, tmp_path / "spark_export")
    assert not differing, "\n".join(differing)
    assert len(names) > 100  # every seed and model of the demo, views included
    assert query(project, "select count(*) from stability", target="spark").rows[0][0] > 0  # build 2 vs build 1


def test_data_tests_give_the_same_verdicts(builds):
    _, results = builds
    verdicts = {target: data_test_verdicts(runs) for target, runs in results.items()}
    assert verdicts["duckdb"] == verdicts["spark"]
    assert len(verdicts["spark"]) >= 20


# -- a conventions profile other than the default ------------------------------------------
def test_a_conventions_profile_on_spark_equals_the_duckdb_build(tmp_path_factory, builds):
    """The ranking metrics under `conventions: recommenders` (renumbered positions, binary
    gain, the users with a list, ndcg's users without one) and `rectools` (the ideal DCG of
    K items) are the same tables on Spark as on DuckDB: the profiles' SQL transpiles too."""
    for profile in ("recommenders", "rectools"):
        root = write_cut_demo(tmp_path_factory.mktemp(f"spark_{profile}") / "demo", SPARK_SETTINGS)
        project = Project.load(root, vars={"conventions": profile})
        built = {}
        for target in ("duckdb", "spark"):
            run = project.build(RunOptions(target=target, select=["+ranking_metrics"], report=False, mlflow=False,
                                           threads=SPARK_THREADS if target == "spark" else 1))
            assert not failures(run), (profile, target, failures(run))
            built[target] = {r.name for r in run.results if r.kind == "model"}
        # schema.name, each read in the schema its model names (main or intermediate)
        qualified = {relation.split(".")[-1]: relation for relation in relations(project)}
        names = sorted(qualified[name] for name in built["duckdb"] & built["spark"] if name in qualified)
        assert built["duckdb"] == built["spark"] and {"recs", "user_metrics", "ranking_metrics"} <= built["duckdb"]
        compared = compare_targets(project, names, tmp_path_factory.mktemp(f"export_{profile}"))
        differing = [f"{profile} {p.name}: {p.difference}" for p in compared if p.difference]
        assert not differing, "\n".join(differing)


# -- MAPE's zero ratings, which the demo lacks ----------------------------------------------
ZERO_RATING_PAIRS = """\
candidate,user_id,prediction,rating
some_zero,a,1.0,0.0
some_zero,a,1.0,2.0
some_zero,b,5.0,4.0
some_zero,b,0.0,-0.0
some_zero,c,5.0,5.0
some_zero,c,-1.0,-2.0
some_zero,d,3.0,0.0
all_zero,a,1.0,0.0
all_zero,b,0.5,-0.0
all_zero,d,0.0,0.0
none_zero,a,3.0,2.0
none_zero,c,1.0,-2.0
"""


def build_macros_on_both_engines(tmp_path, seed: str, column_types: str, rows: str,
                                  models: dict[str, str]) -> Project:
    """A project of the demo's macros, one seed and `models` ({name: sql}), built on DuckDB
    and on Spark; asserts that both builds pass and that every relation is the same."""
    from evalhouse.targets.spark.session import stop_session

    init_project(tmp_path / "demo")
    root = tmp_path / "project"
    shutil.copytree(tmp_path / "demo" / "macros", root / "macros")
    (root / "models").mkdir()
    (root / "seeds").mkdir()
    (root / "project.yml").write_text(
        f"name: macros_on_spark\nseeds:\n  {seed}:\n    column_types: {{{column_types}}}\n" + SPARK_SETTINGS,
        encoding="utf-8")
    (root / "seeds" / f"{seed}.csv").write_text(rows, encoding="utf-8")
    for name, sql in models.items():
        (root / "models" / f"{name}.sql").write_text(sql, encoding="utf-8")
    project = Project.load(root)
    try:
        for target in ("duckdb", "spark"):
            result = project.build(RunOptions(target=target, report=False, mlflow=False))
            assert result.success, (target, [r.message for r in result.results if not r.ok])
        compared = compare_targets(project, relations(project), tmp_path / "spark_export")
        assert {p.name.split(".")[-1]: p.difference for p in compared} == dict.fromkeys([seed, *models])
    finally:
        stop_session()
    return project


def test_mape_leaves_zero_ratings_out_on_spark_as_on_duckdb(tmp_path):
    """regression_sums and every regression metric of the demo's macros over pairs with
    zero ratings (0 and -0): the same rows on both engines, mape null where every rating
    is 0 (a division by nullif(..., 0), never by 0, which ANSI Spark would refuse)."""
    project = build_macros_on_both_engines(
        tmp_path, "pairs", "candidate: VARCHAR, user_id: VARCHAR, prediction: DOUBLE, rating: DOUBLE",
        ZERO_RATING_PAIRS, {
            "sums": "{{ config(materialized='table') }}\n{{ regression_sums(ref('pairs')) }}\n",
            "regression": "{{ config(materialized='table') }}\n"
                          "select * from ({{ regression_metrics(ref('sums')) }}) as m\n"})
    mape = {row[0]: row[1:] for row in duckdb_rows(
        project, "select candidate, value, n_users from regression where metric = 'mape'")[1]}
    left_out = dict(duckdb_rows(
        project, "select candidate, value from regression where metric = 'mape_zero_actual_pairs'")[1])
    assert mape == {"some_zero": (0.3125, 3), "all_zero": (None, 0), "none_zero": (1.0, 2)}
    assert left_out == {"some_zero": 3.0, "all_zero": 3.0, "none_zero": 0.0}


# lists of text ids (candidate, user_id, item_id): u1 repeats b away from its first row, u2
# holds one item three times, u3 holds a single item, u4 none twice; ids that sort apart
# as text and as numbers ("10" before "9")
LIST_ROWS = """\
candidate,user_id,item_id
m,u1,b
m,u1,a
m,u1,b
m,u2,10
m,u2,9
m,u2,10
m,u2,10
m,u3,z
m,u4,10
m,u4,9
m,u4,1
"""


def test_sorted_list_has_repeat_finds_the_same_lists_on_spark(tmp_path):
    """candidate_file_lists finds the lists that hold an item twice through
    sorted_list_has_repeat: neighbours compared on DuckDB, array_distinct on Spark."""
    project = build_macros_on_both_engines(
        tmp_path, "list_rows", "candidate: VARCHAR, user_id: VARCHAR, item_id: VARCHAR", LIST_ROWS, {
            "repeats": "{{ config(materialized='table') }}\n"
                       "select candidate, user_id, {{ sorted_list_has_repeat('sorted_items') }} as has_repeat\n"
                       "from (select candidate, user_id, list_sort(list(item_id)) as sorted_items\n"
                       "      from {{ ref('list_rows') }} group by candidate, user_id) as lists\n"})
    flags = dict(duckdb_rows(project, "select user_id, has_repeat from repeats")[1])
    assert flags == {"u1": True, "u2": True, "u3": False, "u4": False}
