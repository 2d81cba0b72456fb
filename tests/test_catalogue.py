"""The warehouse documents itself (dbt's persist_docs): each relation carries its YAML
description, else the comment its model file opens with, and each column the YAML
describes carries that description, as DuckDB comments an analyst's client shows."""

from __future__ import annotations

from typing import Any

from evalhouse import Project, RunOptions

FILES = {
    "models/scored.sql": "-- one row per user: the score\n-- of their best item\n"
                         "{{ config(materialized='table') }}\nselect 1 as user_id, 0.5 as score",
    "models/shown.sql": "{{ config(materialized='view') }}\nselect * from {{ ref('scored') }}",
    "models/schema.yml": "models:\n  - name: shown\n    description: what people read\n    columns:\n"
                         "      - {name: score, description: 'between 0 and 1'}\n"
                         "      - {name: not_there, description: 'a column the view lacks'}\n",
}


def comments(project: Project, sql: str) -> list[tuple]:
    return project.query(sql).rows


def test_relations_and_columns_carry_their_descriptions(make_project):
    root = make_project(FILES)
    project = Project.load(root)
    assert project.build(RunOptions(report=False, mlflow=False)).success
    assert comments(project, "select table_name, comment from duckdb_tables() where table_name = 'scored'") == [
        ("scored", "one row per user: the score of their best item")]  # the file's opening comment
    assert comments(project, "select view_name, comment from duckdb_views() where view_name = 'shown'") == [
        ("shown", "what people read")]  # the YAML description wins
    assert comments(project, "select column_name, comment from duckdb_columns() where table_name = 'shown' "
                             "order by 1") == [("score", "between 0 and 1"), ("user_id", None)]
    # a second build keeps them (the new relation is commented again)
    assert project.build(RunOptions(report=False, mlflow=False)).success
    assert comments(project, "select count(comment) from duckdb_tables() where table_name = 'scored'") == [(1,)]


def test_every_demo_model_is_documented_in_the_warehouse(demo: tuple[Any, Any]) -> None:
    project, _ = demo
    undocumented = comments(project, """
        select table_name from duckdb_tables() where database_name = current_database() and comment is null
        and table_name not in (select name from (values ('ratings'), ('movies'), ('tags')) as seeds(name))
        union all
        select view_name from duckdb_views() where database_name = current_database() and not internal
        and comment is null""")
    assert undocumented == []
    described = dict(comments(project, "select column_name, comment from duckdb_columns() "
                                       "where table_name = 'comparisons'"))
    assert "metric's direction" in described["wins"]


def test_evalhouse_docs_writes_an_offline_catalogue_with_lineage(make_project):
    from click.testing import CliRunner

    from evalhouse.cli import main

    root = make_project(FILES)
    missing = CliRunner().invoke(main, ["docs", "--project-dir", str(root)])
    assert missing.exit_code == 2 and "run 'evalhouse build' first" in missing.output
    assert Project.load(root).build(RunOptions(report=False, mlflow=False)).success
    out = CliRunner().invoke(main, ["docs", "--project-dir", str(root)])
    assert out.exit_code == 0, out.output
    assert "Catalogue: target/catalogue.html (2 relations, 4 columns, 0 metrics)" in out.output
    page = (root / "target/catalogue.html").read_text(encoding="utf-8")
    # the view: what it holds, what it reads; the table: what reads it; the column's description
    assert ('<td>shown</td><td>view</td><td class="num"></td><td>what people read</td><td>scored</td><td></td>'
            in page)
    assert ('<td>scored</td><td>table</td><td class="num">1</td><td>one row per user: the score of their best '
            "item</td><td></td><td>shown</td>") in page
    assert "<td>between 0 and 1</td>" in page
    assert "http://" not in page and "https://" not in page  # one offline file


def test_the_demo_catalogue_lists_every_metric_with_its_direction(demo: tuple[Any, Any]) -> None:
    from evalhouse.publish.catalogue import write_catalogue

    project, _ = demo
    written = write_catalogue(project, project.target_dir / "catalogue_test.html")
    page = written.path.read_text(encoding="utf-8")
    metrics = project.query("select metric, direction from metric_definitions").rows
    assert written.metrics == len(metrics) > 30
    for metric, direction in metrics:  # each metric's row carries its direction
        assert f"<td>{metric}</td>" in page and f"<td>{direction}</td>" in page
    assert "<td>avg_popularity</td><td>Average popularity</td><td>beyond_accuracy</td><td>lower</td>" in page
