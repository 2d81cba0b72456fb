"""The Spark target: one project built on DuckDB and on local Spark gives the same tables.

Spark takes seconds to start, so the module shares one project (and so one SparkSession)
between its tests; the tests that change the project put it back. The last test stops the
session, because a fresh process must be able to open the catalog.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from oracles.compare import assert_rows_close
from warehouse_reader import read_warehouse

from evalhouse import Project, RunOptions
from evalhouse.api.operations import compile_only, query
from evalhouse.cli import main
from evalhouse.errors import ConfigError, ProjectError, TemplateError
from evalhouse.targets.spark.sql import TranspileError, spark_type, to_spark

# a short-lived JVM: C1 only and the serial collector start Spark seconds sooner. C1 alone
# reserves 48 MB for compiled code, too little for the demo (tests/test_spark_demo.py), and
# a process keeps its first JVM for every later session: both modules ask for the same
# options, so whichever runs first on a test process starts a JVM fit for both.
PROJECT_YML = """\
name: spark_parity
vars:
  version: first
  new_id: 4
seeds:
  people:
    column_types: {id: INTEGER, score: DOUBLE, joined: DATE}
targets:
  spark:
    config:
      spark.driver.extraJavaOptions: "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:ReservedCodeCacheSize=512m"
      spark.sql.shuffle.partitions: 2
"""

FILES = {
    "seeds/people.csv": '''\
        id,name,score,joined,team
        1,"ann ""the first""",1.5,2020-01-02,red
        2,bob,2.25,2021-03-04,blue
        3,cy,,2022-05-06,red
        4,dee,4.0,2019-12-31,blue
        ''',
    "macros/engine.sql": """\
        {#- returns the engine's name, through dispatch (default__ / spark__) -#}
        {% macro default__engine_name() %}'duckdb'{% endmacro %}
        {% macro spark__engine_name() %}'spark'{% endmacro %}

        {#- returns the number of days from `start` to `end` (two DATE expressions); on Spark
            date - date is an interval, so it takes date_diff (which sqlglot writes as DATEDIFF) -#}
        {% macro days_between(start, end) -%}
        {%- if target.name == 'spark' -%} date_diff('day', {{ start }}, {{ end }})
        {%- else -%} ({{ end }} - {{ start }}) {%- endif -%}
        {%- endmacro %}
        """,
    "models/people_table.sql": """\
        {{ config(materialized='table') }}
        select
            id,
            name,
            score,
            team,
            date_diff('day', joined, date '2023-01-01') as age_days,
            {{ days_between('joined', "date '2023-01-01'") }} as age_days_macro,
            regexp_matches(name, '^[ab]') as starts_ab,
            {{ dispatch('engine_name')() }} as engine
        from {{ ref('people') }}
        """,
    "models/doubled.sql": """\
        {{ config(materialized='ephemeral') }}
        select id, score * 2 as double_score from {{ ref('people_table') }}
        """,
    "models/team_stats.sql": """\
        select
            p.team,
            count(*) as people,
            sum(d.double_score) as total,
            avg(p.score) as mean_score,
            quantile_disc(p.score, 0.5) as median_score,
            string_agg(p.name, ',' order by p.name) as names
        from {{ ref('people_table') }} as p
        inner join {{ ref('doubled') }} as d on d.id = p.id
        group by p.team
        """,
    "models/ranked.sql": """\
        {{ config(materialized='table') }}
        select
            id,
            team,
            row_number() over (partition by team order by score desc nulls last, id) as rank_in_team,
            ln(1 + coalesce(score, 0)) / ln(2) as log_gain
        from {{ ref('people_table') }}
        """,
    "models/versions.sql": """\
        {{ config(materialized='incremental', unique_key='id') }}
        select * from (
            values (1, 'a'), (2, '{{ var("version") }}'), ({{ var("new_id") }}, 'n')
        ) as t(id, v)
        {% if is_incremental() %} where id >= 2 {% endif %}
        """,
    "models/appended.sql": """\
        {{ config(materialized='incremental',
                  post_hook="delete from " ~ this ~ " where id < (select max(id) - 1 from " ~ this ~ ")") }}
        select {{ var("new_id") }} as id, '{{ var("version") }}' as v
        """,
    "models/candidates.sql": """\
        select c.user_id, c.item_id, c.score, p.label
        from {{ candidate_file() }} as c
        left join {{ label_file() }} as p on p.user_id = c.user_id
        """,
    "models/p_values.sql": """\
        {{ config(materialized='table') }}
        select normal_sf(1.96) as p_normal, student_t_sf(2.0, 10) as p_t, chi2_sf(cast(null as double), 3) as p_null
        """,
    "models/by_k.sql": """\
        -- DuckDB zips unnests side by side; on Spark they become one INLINE(ARRAYS_ZIP(...))
        select id, unnest([1, 2, 3]) as k, unnest([score, score * 2, null]) as scaled
        from {{ ref('people_table') }}
        """,
    "models/nested.sql": """\
        with counts as (
            with counts as (select team, count(*) as n from {{ ref('people_table') }} group by team)
            select team, n * 10 as n from counts
        )
        select * from counts
        """,
    "models/by_name.sql": """\
        {{ config(materialized='table') }}
        with base as (select team, people from {{ ref('team_stats') }}),
        unioned as (
            select * from base
            union all by name
            select 'extra' as note, 'green' as team
        )
        select * from unioned
        """,
    "models/keeper.sql": "{{ config(materialized='table') }}select 1 as x union all select 2",
    "models/schema.yml": """\
        models:
          - name: people_table
            columns:
              - name: id
                data_tests: [not_null, unique]
              - name: score
                data_tests:
                  - not_null: {config: {severity: warn}}
              - name: team
                data_tests:
                  - accepted_values: {values: [red, blue]}
        """,
    "tests/data/no_negative_totals.sql": "select * from {{ ref('team_stats') }} where total < 0",
}

SKIP = {"__evalhouse"}  # hidden tables (the read_csv/read_parquet files) are compared through their models


def _data_file_macros(root: Path) -> str:
    candidates = (root / "data" / "candidates.csv").as_posix()
    labels = (root / "data" / "labels.parquet").as_posix()
    return textwrap.dedent(f"""\
        {{#- returns the candidate file and the label file as relations (DuckDB's readers) -#}}
        {{% macro candidate_file() %}}read_csv('{candidates}', header = true, types = {{'score': 'DOUBLE'}}){{% endmacro %}}
        {{% macro label_file() %}}read_parquet('{labels}'){{% endmacro %}}
        """)


def write(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("spark") / "project"
    write(root, {"project.yml": PROJECT_YML, **FILES})
    data = root / "data"
    data.mkdir()
    (data / "candidates.csv").write_text("user_id,item_id,score\n1,10,0.5\n1,11,0.25\n2,10,0.75\n9,12,1\n")
    duckdb.sql(f"copy (select * from (values (1, 'x'), (2, 'y')) t(user_id, label)) "
               f"to '{(data / 'labels.parquet').as_posix()}' (format parquet)")
    (root / "macros" / "files.sql").write_text(_data_file_macros(root))
    return root


@pytest.fixture(scope="module")
def builds(root):
    """The project built on both targets (Spark with two threads)."""
    project = Project.load(root)
    duck = project.build(RunOptions(target="duckdb", report=False))
    spark = project.build(RunOptions(target="spark", threads=2, report=False))
    return project, duck, spark


def _value(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _key(row):
    return tuple((v is None, round(v, 9) if isinstance(v, float) else str(v)) for v in row)


def normalize(rows):
    return sorted((tuple(_value(v) for v in row) for row in rows), key=_key)


def duck_rows(project, sql):
    with read_warehouse(str(project.warehouse_path)) as con:
        relation = con.execute(sql)
        return [d[0].lower() for d in relation.description], relation.fetchall()


def spark_rows(project, sql):
    result = query(project, sql, target="spark")
    return [c.lower() for c in result.columns], result.rows


def relations(project):
    compiled = compile_only(project, write=False)
    return sorted(n.name for n in compiled.nodes.values()
                  if n.kind in ("model", "seed") and n.materialized != "ephemeral")


# -- transpiling: no Spark needed -----------------------------------------------------------
@pytest.mark.parametrize(("duckdb_sql", "spark_fragment"), [
    ('select "a"."b" from "main"."t"', "`a`.`b`"),
    ("select date_diff('day', x, y) from t", "DATEDIFF"),
    ("select regexp_matches(s, 'a.c') from t", "RLIKE"),
    ("select x::int from t", "CAST(x AS INT)"),
    ("select quantile_disc(x, 0.8) from t", "PERCENTILE_DISC(0.8) WITHIN GROUP"),  # exact, not APPROX
    ("select * from read_parquet('/data/f.parquet') as f", "`main`.`__evalhouse_file__"),
    ("select * from read_csv('/data/f.csv', header = true, delim = ';') as f", "`main`.`__evalhouse_file__"),
])
def test_duckdb_sql_is_transpiled_to_spark(duckdb_sql, spark_fragment):
    assert spark_fragment in to_spark(duckdb_sql).sql


def test_file_readers_become_hidden_tables_with_their_options():
    statement = to_spark("select * from read_csv('/d/f.csv', header = false, delim = ';', types = {'a': 'INTEGER'})")
    (read,) = statement.files
    assert (read.kind, read.path, read.header, read.delimiter) == ("csv", "/d/f.csv", False, ";")
    assert read.column_types == (("a", "INTEGER"),)
    assert statement.text().startswith(f"-- {read.table}: csv file /d/f.csv\n")


def test_unnests_side_by_side_are_zipped_as_in_duckdb():
    sql = to_spark("select a, unnest([1, 2]) as k, unnest([x, y]) as v from t").sql
    assert "INLINE(ARRAYS_ZIP(ARRAY(1, 2), ARRAY(x, y))) AS (k, v)" in sql
    with pytest.raises(TranspileError, match="side by side"):
        to_spark("select unnest([1]) as k, a, unnest([2]) as v from t")


def test_union_by_name_selects_every_branch_by_name():
    from sqlglot import exp, parse_one

    from evalhouse.targets.spark.union import rewrite_unions_by_name

    def columns(probe):  # what Spark would say: the branch's own names
        return probe.find(exp.Subquery).this.named_selects

    tree = parse_one("select 1 as a, 2 as b union all by name select 3 as c, 4 as A", read="duckdb")
    sql = rewrite_unions_by_name(tree, columns).sql("spark")
    assert "UNION ALL" in sql and "BY NAME" not in sql
    assert sql.count("NULL AS `c`") == 1 and sql.count("NULL AS `b`") == 1


def test_sql_that_cannot_move_to_spark_says_why():
    with pytest.raises(TranspileError, match="one file path"):
        to_spark("select * from read_parquet(['/a.parquet', '/b.parquet'])")
    with pytest.raises(TranspileError, match="cannot read"):
        to_spark("select from where")


def test_duckdb_types_map_to_spark_types():
    assert [spark_type(t) for t in ("INTEGER", "BIGINT", "DOUBLE", "VARCHAR", "DATE")] == [
        "INT", "BIGINT", "DOUBLE", "STRING", "DATE"]


def test_targets_spark_is_validated_with_did_you_mean(make_project):
    root = make_project(project_yml="name: t\ntargets:\n  spark:\n    mastr: local[2]\n")
    with pytest.raises(ConfigError) as info:
        Project.load(root)
    assert "targets.spark.mastr" in info.value.message and info.value.hint == "did you mean 'master'?"
    root = make_project(project_yml="name: t\ntargets:\n  sprak: {}\n")
    with pytest.raises(ConfigError, match="targets.sprak"):
        Project.load(root)


def test_spark_settings_come_from_project_yml(make_project):
    from evalhouse.targets.spark.session import spark_spec

    root = make_project(project_yml=(
        "name: t\ntargets:\n  spark:\n    master: spark://head:7077\n    warehouse_dir: s3a://bucket/wh\n"
        "    config: {spark.executor.memory: 8g, spark.sql.adaptive.enabled: true,"
        " spark.hadoop.hive.metastore.uris: 'thrift://meta:9083'}\n"))
    spec = spark_spec(Project.load(root))
    settings = spec.settings()
    assert spec.master == "spark://head:7077" and settings["spark.sql.warehouse.dir"] == "s3a://bucket/wh"
    assert settings["spark.executor.memory"] == "8g" and settings["spark.sql.adaptive.enabled"] == "true"
    assert spec.metastore_dir is None  # the cluster's metastore, not a local Derby one
    local = spark_spec(Project.load(make_project(project_yml="name: t\n")))
    assert local.master == "local[*]" and local.warehouse.endswith("target/spark-warehouse")
    assert "derby" in local.settings()["spark.hadoop.javax.jdo.option.ConnectionURL"]


def test_dispatch_without_a_default_macro_says_what_to_define(make_project):
    root = make_project({"models/m.sql": "select {{ dispatch('rounding')(1) }} as x"})
    with pytest.raises(TemplateError, match="found no macro default__rounding") as info:
        Project.load(root).compile(write=False)
    assert "define {% macro default__rounding(...) %}" in info.value.hint
    assert info.value.path == "models/m.sql"


def test_unknown_target_is_a_project_error(make_project):
    project = Project.load(make_project({"models/m.sql": "select 1 as x"}))
    with pytest.raises(ProjectError, match="unknown target 'sparkk'") as info:
        project.build(RunOptions(target="sparkk"))
    assert info.value.hint == "did you mean 'spark'?"


def test_the_cli_does_not_import_pyspark():
    code = "import sys; import evalhouse.cli, evalhouse.api.operations, evalhouse.api.project; print('pyspark' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_compile_for_spark_writes_the_transpiled_sql_without_starting_spark(make_project):
    root = make_project({
        "models/m.sql": "select date_diff('day', date '2020-01-01', date '2020-01-03') as d",
        "models/bad.sql": "select * from read_parquet(['/a.parquet', '/b.parquet'])",
    })
    result = CliRunner().invoke(main, ["compile", "--project-dir", str(root), "--target", "spark"])
    assert result.exit_code == 1
    assert "models/bad.sql: model bad cannot run on Spark" in result.output
    assert "dispatches on target.name" in result.output
    assert "DATEDIFF" in (root / "target/compiled_spark/models/m.sql").read_text()


# -- building on Spark ----------------------------------------------------------------------
def test_every_table_on_spark_equals_the_duckdb_build(builds):
    project, duck, spark = builds
    assert duck.success and spark.success, [r.message for r in spark.results if not r.ok]
    compared = 0
    for name in relations(project):
        sql = f"select * from {name}"
        duck_columns, duck_data = duck_rows(project, sql)
        spark_columns, spark_data = spark_rows(project, sql)
        assert duck_columns == spark_columns, name
        if "engine" in duck_columns:  # the one column that says which engine built it
            i = duck_columns.index("engine")
            assert {r[i] for r in duck_data} == {"duckdb"} and {r[i] for r in spark_data} == {"spark"}
            duck_data = [r[:i] + r[i + 1:] for r in duck_data]
            spark_data = [r[:i] + r[i + 1:] for r in spark_data]
        assert_rows_close(normalize(duck_data), normalize(spark_data), name)
        compared += 1
    assert compared == 12


def test_data_tests_give_the_same_verdicts(builds):
    _, duck, spark = builds
    verdicts = {r.name: (r.status, r.failures) for r in duck.results if r.kind == "test"}
    assert verdicts == {r.name: (r.status, r.failures) for r in spark.results if r.kind == "test"}
    assert verdicts["not_null_people_table_score"] == ("warn", 1)
    warned = next(r for r in spark.results if r.name == "not_null_people_table_score")
    assert warned.sample[0]["name"] == "cy"


def test_seed_types_follow_project_yml(builds):
    project, _, _ = builds
    result = query(project, "describe people", target="spark")
    types = {row[0]: row[1] for row in result.rows}
    assert types == {"id": "int", "name": "string", "score": "double", "joined": "date", "team": "string"}


def test_views_and_file_tables_persist_in_the_catalog(builds):
    project, _, _ = builds
    kinds = {row[1]: row for row in query(project, "show views in main", target="spark").rows}
    assert {"team_stats", "candidates"} <= set(kinds)
    assert (project.dir / "target/compiled_spark/models/candidates.sql").read_text().startswith("-- __evalhouse_file__")
    assert (project.dir / "target/spark-warehouse/main.db/people_table").is_dir()


def test_incremental_models_match_after_a_second_run(root, builds):
    project = Project.load(root, vars={"version": "second", "new_id": 5})
    for target in ("duckdb", "spark"):
        result = project.run(RunOptions(select=["versions", "appended"], target=target))
        assert result.success, [r.message for r in result.results]
    for name in ("versions", "appended"):
        _, duck_data = duck_rows(project, f"select * from {name}")
        _, spark_data = spark_rows(project, f"select * from {name}")
        assert normalize(duck_data) == normalize(spark_data), name
    _, rows = spark_rows(project, "select id, v from versions order by id")
    assert rows == [(1, "a"), (2, "second"), (4, "n"), (5, "n")]
    # the post hook's delete (a rewrite on Spark: Parquet tables have no delete) kept the last two
    _, rows = spark_rows(project, "select id, v from appended order by id")
    assert rows == [(4, "first"), (5, "second")]


def test_an_incremental_column_that_turns_to_text_keeps_its_rows_as_text(root, builds):
    model = root / "models/turns_text.sql"
    model.write_text("{{ config(materialized='incremental') }}select {{ var('label', 7) }} as label, 1 as n")
    try:
        for label in (7, "'x'"):
            project = Project.load(root, vars={"label": label})
            for target in ("duckdb", "spark"):
                result = project.run(RunOptions(select=["turns_text"], target=target))
                assert result.success, [r.message for r in result.results]
        _, duck_data = duck_rows(project, "select label, n from turns_text order by label")
        _, spark_data = spark_rows(project, "select label, n from turns_text order by label")
        assert duck_data == spark_data == [("7", 1), ("x", 1)]
    finally:
        model.unlink()


def test_a_failed_table_on_spark_leaves_the_previous_table(root, builds):
    project, _, _ = builds
    model = root / "models/keeper.sql"
    good = model.read_text()
    try:
        model.write_text("{{ config(materialized='table') }}select cast(x as integer) as x from "
                         "(values ('1'), ('two')) as t(x)")
        result = Project.load(root).run(RunOptions(select=["keeper"], target="spark"))
        (failed,) = result.results
        assert failed.status == "error"
        assert "model keeper failed on Spark" in failed.message and "CAST_INVALID_INPUT" in failed.message
        assert "target/compiled_spark/models/keeper.sql" in failed.message
        model.write_text("{{ config(materialized='table') }}select no_such_column from {{ ref('people') }}")
        (failed,) = Project.load(root).run(RunOptions(select=["keeper"], target="spark")).results
        assert "UNRESOLVED_COLUMN" in failed.message and "(line 2 of the Spark SQL)" in failed.message
    finally:
        model.write_text(good)
    _, rows = spark_rows(project, "select x from keeper order by x")
    assert rows == [(1,), (2,)]
    _, tables = spark_rows(project, "show tables in main like '__evalhouse_tmp__*'")
    assert tables == []


def test_a_ragged_seed_on_spark_names_the_line(root, builds):
    seed = root / "seeds/ragged.csv"
    seed.write_text("a,b\n1,2\n3,4,5\n")
    try:
        (result,) = Project.load(root).seed(RunOptions(select=["ragged"], target="spark")).results
    finally:
        seed.unlink()
    assert result.status == "error"
    assert "seed ragged has a row with 3 fields where the header has 2" in result.message
    assert result.error.line == 3


def test_the_cli_takes_the_target_from_the_environment(root, builds):
    result = CliRunner().invoke(main, ["run", "--project-dir", str(root), "-s", "team_stats", "--no-report"],
                                env={"EVALHOUSE_TARGET": "spark"})
    assert result.exit_code == 0, result.output
    assert "OK view team_stats" in result.output
    shown = CliRunner().invoke(main, ["show", "--project-dir", str(root), "--target", "spark", "ranked",
                                      "--limit", "2"])
    assert shown.exit_code == 0 and "rank_in_team" in shown.output


def test_dates_survive_the_round_trip(builds):
    project, _, _ = builds
    _, rows = spark_rows(project, "select joined from people where id = 1")
    assert rows == [(dt.date(2020, 1, 2),)]


def test_query_in_a_fresh_process_reads_the_spark_tables(root, builds):
    from evalhouse.targets.spark.session import stop_session

    stop_session()  # the embedded metastore admits one process at a time
    out = subprocess.run(
        [sys.executable, "-m", "evalhouse.cli", "query", "--project-dir", str(root), "--target", "spark",
         "--format", "json", "select team, people from team_stats order by team"],
        capture_output=True, text=True, timeout=240,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout) == [{"team": "blue", "people": 2}, {"team": "red", "people": 2}]
