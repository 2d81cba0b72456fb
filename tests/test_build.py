"""Building against DuckDB: materializations, seeds, data tests, failures, threads, artifacts."""

from __future__ import annotations

import json

import duckdb
import pytest
from warehouse_reader import read_warehouse

from evalhouse import Project, RunOptions


def build(root, command="build", vars=None, **options):
    project = Project.load(root, vars=vars)
    return project, getattr(project, command)(RunOptions(**options))


def rows(project, sql):
    with read_warehouse(str(project.warehouse_path)) as con:
        return con.execute(sql).fetchall()


def by_name(result):
    return {r.name: r for r in result.results}


def test_view_table_and_ephemeral(make_project):
    root = make_project({
        "models/base.sql": "{{ config(materialized='table') }}select range as x from range(5)",
        "models/eph.sql": "{{ config(materialized='ephemeral') }}select x * 2 as y from {{ ref('base') }}",
        "models/v.sql": "select sum(y) as total from {{ ref('eph') }}",
    })
    project, result = build(root)
    assert result.success
    assert [r.name for r in result.results] == ["base", "v"]  # ephemerals do not run
    assert by_name(result)["base"].rows == 5
    assert rows(project, "select total from v") == [(20,)]
    kinds = dict(rows(project, "select table_name, table_type from information_schema.tables"))
    assert kinds == {"base": "BASE TABLE", "v": "VIEW"}


def test_a_failed_table_leaves_the_previous_table_intact(make_project):
    root = make_project({"models/t.sql": "{{ config(materialized='table') }}select 1 as x union all select 2"})
    project, result = build(root)
    assert result.success
    (root / "models/t.sql").write_text(
        "{{ config(materialized='table') }}select 1 / 0 as x union all select cast('a' as integer)")
    _, failed = build(root)
    assert not failed.success
    error = by_name(failed)["t"]
    assert error.status == "error"
    assert "model t failed" in error.message and "target/compiled/models/t.sql" in error.message
    assert rows(project, "select x from t order by x") == [(1,), (2,)]
    names = [r[0] for r in rows(project, "select table_name from information_schema.tables")]
    assert names == ["t"]  # no temporary table is left behind


def test_switching_a_view_to_a_table_and_back(make_project):
    root = make_project({"models/m.sql": "select 1 as x"})
    project, _ = build(root)
    (root / "models/m.sql").write_text("{{ config(materialized='table') }}select 2 as x")
    build(root)
    assert rows(project, "select table_type from information_schema.tables where table_name='m'") == [("BASE TABLE",)]
    (root / "models/m.sql").write_text("select 3 as x")
    build(root)
    assert rows(project, "select x from m") == [(3,)]


def test_incremental_with_unique_key_deletes_and_inserts(make_project):
    model = """
        {{ config(materialized='incremental', unique_key='id') }}
        select * from (values (1, 'a'), (2, '{{ var("version") }}'), ({{ var("new_id") }}, 'n')) t(id, v)
        {% if is_incremental() %} where id >= 2 {% endif %}
    """
    root = make_project({"models/inc.sql": model})
    project, result = build(root, vars={"version": "first", "new_id": 3})
    assert result.success
    assert rows(project, "select * from inc order by id") == [(1, "a"), (2, "first"), (3, "n")]
    _, result = build(root, vars={"version": "second", "new_id": 4})
    assert result.success
    assert by_name(result)["inc"].rows == 2
    assert rows(project, "select * from inc order by id") == [(1, "a"), (2, "second"), (3, "n"), (4, "n")]
    _, result = build(root, vars={"version": "third", "new_id": 5}, full_refresh=True)
    assert rows(project, "select * from inc order by id") == [(1, "a"), (2, "third"), (5, "n")]


def test_incremental_without_key_appends(make_project):
    # the new rows go straight into the table: a model ending in ';' and a comment appends too
    model = "{{ config(materialized='incremental') }}select {{ var('n', 1) }} as x, 'a' as y; -- the end"
    root = make_project({"models/log.sql": model})
    project, _ = build(root)
    _, result = build(root, vars={"n": 2})
    assert result.success and by_name(result)["log"].rows == 1
    assert rows(project, "select x, y from log order by x") == [(1, "a"), (2, "a")]
    # a query that fails while its rows go in leaves the table as it was
    (root / "models/log.sql").write_text(model.replace("{{ var('n', 1) }}", "error('no rows today')::int"))
    _, result = build(root)
    assert not result.success and "no rows today" in by_name(result)["log"].message
    assert rows(project, "select x, y from log order by x") == [(1, "a"), (2, "a")]


def test_seeds_csv_tsv_parquet_in_subfolders_with_types(make_project, tmp_path):
    parquet = tmp_path / "p.parquet"
    duckdb.sql(f"copy (select 1 as a, 'x' as b) to '{parquet}' (format parquet)")
    root = make_project(
        {
            "seeds/sub/people.csv": "id,score,name\n1,0.5,Ana\n2,1.5,Bé\n",
            "seeds/tabbed.tsv": "k\tv\n1\t2\n",
        },
        project_yml="name: tiny\nseeds:\n  people:\n    column_types: {id: VARCHAR, score: DOUBLE}\n    alias: persons\n",
    )
    (root / "seeds" / "p.parquet").write_bytes(parquet.read_bytes())
    project, result = build(root, "seed")
    assert result.success and by_name(result)["people"].rows == 2
    assert rows(project, "select id, score, name from persons order by id") == [("1", 0.5, "Ana"), ("2", 1.5, "Bé")]
    assert rows(project, "select * from tabbed") == [(1, 2)]
    assert rows(project, "select * from p") == [(1, "x")]


def test_malformed_seed_names_the_file_and_line(make_project):
    root = make_project(
        {"seeds/bad.csv": "id,score\n1,2\n3,4\n5,oops\n"},
        project_yml="name: tiny\nseeds:\n  bad:\n    column_types: {score: INTEGER}\n",
    )
    _, result = build(root, "seed")
    error = by_name(result)["bad"]
    assert error.status == "error"
    assert error.error.path == "seeds/bad.csv"
    assert error.error.line == 4
    assert "oops" in error.message


def test_ragged_and_empty_seeds_are_errors(make_project):
    root = make_project({"seeds/ragged.csv": "a,b\n1,2\n3,4,5\n", "seeds/empty.csv": ""})
    _, result = build(root, "seed")
    results = by_name(result)
    assert results["ragged"].status == "error" and results["ragged"].error.path == "seeds/ragged.csv"
    assert results["ragged"].error.line == 3 and "3 fields where the header has 2" in results["ragged"].message
    assert results["empty"].status == "error" and "empty" in results["empty"].message


PROPERTIES = """
models:
  - name: people
    data_tests:
      - expression_is_true: {expression: "age >= 0"}
    columns:
      - name: id
        data_tests: [not_null, unique]
      - name: team
        data_tests:
          - accepted_values: {values: [red, blue]}
          - relationships: {to: "ref('teams')", field: name}
      - name: age
        data_tests:
          - accepted_range: {min_value: 0, max_value: 120, config: {severity: warn}}
          - is_even
"""


def test_generic_and_singular_data_tests(make_project):
    root = make_project({
        "models/teams.sql": "select * from (values ('red'), ('blue')) t(name)",
        "models/people.sql": "select * from (values (1, 'red', 30), (2, 'blue', 40)) t(id, team, age)",
        "models/schema.yml": PROPERTIES,
        "macros/tests.sql": "{% test is_even(model, column_name) %}"
                            "select * from {{ model }} where {{ column_name }} % 2 <> 0{% endtest %}",
        "tests/data/no_old_people.sql": "select * from {{ ref('people') }} where age > 100",
    })
    project, result = build(root)
    assert result.success, [r.message for r in result.results if not r.ok]
    tests = {r.name for r in result.results if r.kind == "test"}
    assert tests == {
        "not_null_people_id", "unique_people_id", "accepted_values_people_team", "relationships_people_team",
        "accepted_range_people_age", "is_even_people_age", "expression_is_true_people", "no_old_people",
    }
    (root / "models/people.sql").write_text(
        "select * from (values (1, 'red', 31), (1, 'green', 150), (null, 'blue', 40)) t(id, team, age)")
    build(root, "run")
    _, result = build(root, "test")
    results = by_name(result)
    assert results["not_null_people_id"].status == "fail" and results["not_null_people_id"].failures == 1
    assert results["unique_people_id"].failures == 1
    assert results["unique_people_id"].sample == [{"unique_field": 1, "n_records": 2}]
    assert results["accepted_values_people_team"].failures == 1
    assert results["relationships_people_team"].failures == 1
    assert results["accepted_range_people_age"].status == "warn"
    assert results["is_even_people_age"].failures == 1
    assert results["no_old_people"].failures == 1
    assert results["expression_is_true_people"].status == "pass"
    assert not result.success


def test_a_failed_test_skips_the_models_downstream(make_project):
    root = make_project({
        "models/base.sql": "select null as id",
        "models/child.sql": "select * from {{ ref('base') }}",
        "models/grandchild.sql": "select * from {{ ref('child') }}",
        "models/other.sql": "select 1 as x",
        "models/schema.yml": "models:\n  - name: base\n    columns:\n      - name: id\n        data_tests: [not_null]\n",
    })
    _, result = build(root)
    statuses = {r.name: r.status for r in result.results}
    assert statuses == {"base": "success", "not_null_base_id": "fail", "child": "skipped",
                        "grandchild": "skipped", "other": "success"}


def test_a_warning_test_does_not_skip(make_project):
    root = make_project({
        "models/base.sql": "select null as id",
        "models/child.sql": "select * from {{ ref('base') }}",
        "models/schema.yml": "models:\n  - name: base\n    columns:\n      - name: id\n"
                             "        data_tests: [{not_null: {config: {severity: warn}}}]\n",
    })
    _, result = build(root)
    assert result.success
    assert by_name(result)["child"].status == "success"


def test_a_failed_model_skips_descendants_and_fail_fast_stops(make_project):
    root = make_project({
        "models/a_bad.sql": "select * from nowhere_table",
        "models/b_child.sql": "select * from {{ ref('a_bad') }}",
        "models/c_other.sql": "select 1 as x",
    })
    _, result = build(root, "run")
    assert {r.name: r.status for r in result.results} == {"a_bad": "error", "b_child": "skipped", "c_other": "success"}
    _, result = build(root, "run", fail_fast=True)
    assert {r.name: r.status for r in result.results} == {"a_bad": "error", "b_child": "skipped", "c_other": "skipped"}


def test_threads_build_independent_models_concurrently(make_project):
    files = {f"models/m{i}.sql": f"{{{{ config(materialized='table') }}}}select {i} as x" for i in range(8)}
    files["models/total.sql"] = "{{ config(materialized='table') }}" + " union all ".join(
        f"select * from {{{{ ref('m{i}') }}}}" for i in range(8))
    root = make_project(files)
    events = []
    project, result = build(root, "run", threads=4, on_event=lambda kind, node, *rest: events.append((kind, node.name)))
    assert result.success
    assert rows(project, "select sum(x) from total") == [(28,)]
    assert events.index(("start", "total")) > max(events.index(("done", f"m{i}")) for i in range(8))


def test_selection_limits_what_runs(make_project):
    root = make_project({"models/a.sql": "select 1 as x", "models/b.sql": "select * from {{ ref('a') }}"})
    _, result = build(root, "run", select=["b"])
    assert [r.name for r in result.results] == ["b"]


def test_a_selected_test_whose_other_parent_was_never_built_is_left_out_with_a_note(make_project):
    """dbt's eager selection picks a test when any parent is selected; on a fresh warehouse
    its other parent may not exist yet. The test is left out with a note naming it (it
    used to fail the build on a missing table), and runs once that parent exists."""
    root = make_project({
        "models/a.sql": "select 1 as x",
        "models/b.sql": "select 2 as x",
        "tests/data/a_and_b_not_empty.sql": "select 'a' as name where not exists (select 1 from {{ ref('a') }}) "
                                            "union all select 'b' where not exists (select 1 from {{ ref('b') }})",
    })
    _, result = build(root, select=["a"])
    assert result.success
    assert [r.name for r in result.results] == ["a"]
    assert any("test a_and_b_not_empty was left out" in note and "reads b" in note and "-s +b" in note
               for note in result.notes), result.notes
    build(root)  # b exists from now on
    _, result = build(root, select=["a"])
    assert by_name(result)["a_and_b_not_empty"].status == "pass"


def test_manifest_and_run_results_are_written(make_project):
    root = make_project({"models/a.sql": "select 1 as x", "models/b.sql": "select * from {{ ref('a') }}"})
    project, result = build(root, "run")
    manifest = json.loads((project.target_dir / "manifest.json").read_text())
    assert manifest["nodes"]["model.b"]["depends_on"] == ["model.a"]
    assert manifest["nodes"]["model.a"]["checksum"]
    assert manifest["child_map"]["model.a"] == ["model.b"]
    run_results = json.loads((project.target_dir / "run_results.json").read_text())
    assert run_results["success"] is True
    assert [r["unique_id"] for r in run_results["results"]] == ["model.a", "model.b"]
    assert (project.target_dir / "compiled" / "models" / "b.sql").read_text().strip() == 'select * from "main"."a"'


def test_show_and_query_read_the_warehouse(make_project):
    root = make_project({"models/a.sql": "{{ config(materialized='table') }}select range as x from range(20)"})
    project, _ = build(root, "run")
    assert project.show("a", limit=3).rows == [(0,), (1,), (2,)]
    assert project.show(inline="select max(x) as m from {{ ref('a') }}").as_dicts() == [{"m": 19}]
    assert project.query("select count(*) as n from a").rows == [(20,)]


def test_query_is_read_only(make_project):
    from evalhouse.errors import SandboxError

    root = make_project({"models/a.sql": "{{ config(materialized='table') }}select 1 as x"})
    project, _ = build(root, "run")
    with pytest.raises(SandboxError) as info:  # refused before it reaches the read-only connection
        project.query("drop table a")
    assert "only reads" in info.value.hint and info.value.exit_code == 2
    assert project.query("select * from a").rows == [(1,)]


def test_clean_keeps_the_warehouse_unless_asked(make_project):
    root = make_project({"models/a.sql": "select 1 as x"})
    project, _ = build(root, "run")
    removed = {p.name for p in project.clean().removed}
    assert {"compiled", "manifest.json", "run_results.json"} <= removed
    assert project.warehouse_path.exists()
    project.clean(include_warehouse=True)
    assert not project.warehouse_path.exists()


def test_lineage_of_tables_and_columns(make_project):
    root = make_project({
        "seeds/raw.csv": "id,amount\n1,2\n",
        "models/stg.sql": "select id, amount * 2 as doubled from {{ ref('raw') }}",
        "models/final.sql": "select id, doubled + 1 as value from {{ ref('stg') }}",
    })
    project, _ = build(root)
    result = project.lineage("final.value")
    assert result.upstream == ["raw", "stg"]
    assert result.column_sources == [("raw", "amount")]
    assert project.lineage("stg").downstream == ["final"]


def test_column_lineage_follows_each_model_once_through_a_diamond(make_project):
    root = make_project({
        "seeds/raw.csv": "id,amount,fee\n1,2,3\n",
        "models/stg.sql": "select id, amount * 2 as doubled, fee from {{ ref('raw') }}",
        "models/lhs.sql": "select id, doubled from {{ ref('stg') }}",
        "models/rhs.sql": "select id, doubled * 3 as tripled, fee from {{ ref('stg') }}",
        "models/final.sql": "select l.id, l.doubled + r.tripled as value, r.fee from {{ ref('lhs') }} as l "
                            "inner join {{ ref('rhs') }} as r on r.id = l.id",
    })
    project, _ = build(root)
    result = project.lineage("final.value")
    assert result.column_sources == [("raw", "amount")]  # reached by both sides, named once
    traced = {step.split(".")[0] for step in result.steps}
    assert traced == {"final", "lhs", "rhs", "stg"}
    assert project.lineage("final.fee").column_sources == [("raw", "fee")]


def test_post_hooks_and_invocation_id_keep_a_bounded_history(make_project):
    model = """
        {{ config(materialized='incremental',
                  post_hook="delete from " ~ this ~ " where build_id not in (select build_id from "
                            ~ this ~ " order by built_at desc, build_id limit 2)") }}
        select '{{ invocation_id }}' as build_id, '{{ run_started_at }}'::timestamp as built_at, now() as loaded
    """
    root = make_project({"models/history.sql": model})
    for _ in range(4):
        project, result = build(root, "run")
        assert result.success
    ids = rows(project, "select distinct build_id from history")
    assert len(ids) == 2 and all(len(i[0]) == 36 for i in ids)


def test_a_sql_syntax_error_fails_that_model_only(make_project):
    root = make_project({
        "models/bad.sql": "{{ config(materialized='table') }}\nselect 1 as x\nfrom from\n",
        "models/bad_child.sql": "select * from {{ ref('bad') }}",
        "models/good.sql": "select 1 as x",
    })
    _, result = build(root, "run")
    statuses = {r.name: r.status for r in result.results}
    assert statuses == {"bad": "error", "bad_child": "skipped", "good": "success"}
    error = by_name(result)["bad"].error
    assert error.path == "models/bad.sql" and "syntax error" in error.message.lower()


def test_an_incremental_model_that_gains_a_column_keeps_its_history(make_project):
    """dbt's append_new_columns: the rows already there get nulls in the new column."""
    root = make_project({"models/history.sql": "{{ config(materialized='incremental') }}select 1 as build"})
    project, result = build(root, "run")
    assert result.success
    (root / "models/history.sql").write_text("{{ config(materialized='incremental') }}select 2 as build, 'x' as tag")
    project, result = build(root, "run")
    assert result.success, [r.message for r in result.results]
    assert rows(project, "select build, tag from history order by build") == [(1, None), (2, "x")]
