"""Where relations live: the results in `main`, the rows and helpers in `intermediate`
(docs/evaluation.md, "Where the tables live"), and a schema of the user's own choosing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from evaluation_project import frame
from warehouse_reader import read_warehouse

from evalhouse import Project, RunOptions
from evalhouse.cli import main
from evalhouse.errors import ConfigError, GraphError

# what an analyst reads after the demo's build: every other relation is intermediate
DEMO_RESULTS = {
    # each metric's own table (tag metric), then the tables built from them
    "ranking_metrics", "beyond_user_means", "catalog_coverage_at_k", "distributional_coverage_at_k",
    "gini_at_k", "novelty_at_k", "personalization_at_k", "shannon_entropy_at_k", "user_coverage_at_k",
    "average_precision", "gauc", "log_loss", "pr_auc", "roc_auc", "threshold_metrics",
    "mae", "mape", "mape_zero_actual_pairs", "mse", "prediction_coverage", "r2", "rmse",
    "metrics", "leaderboard", "metric_definitions", "user_metrics", "user_beyond_metrics",
    "recall_curve", "roc_curve", "pr_curve", "confusion_matrix", "intersection_at_k",
    "comparisons", "metrics_by_slice", "ab_results", "ab_tests", "stability", "metrics_history",
    "inference_costs",
    # what describes the inputs
    "inputs_manifest", "split_summary", "candidate_overlap", "recs_duplicates", "recs_ties",
}


def relations_by_schema(project: Project) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for schema, name in frame(project, "select table_schema, table_name from information_schema.tables"
                                       " where table_catalog = current_database()").itertuples(index=False):
        out.setdefault(schema, set()).add(name)
    return out


def test_the_demo_keeps_the_results_in_main_and_the_rest_in_intermediate(demo: tuple[Project, Any]) -> None:
    project, result = demo
    assert result.success
    schemas = relations_by_schema(project)
    assert set(schemas) == {"main", "intermediate"}
    assert schemas["main"] == DEMO_RESULTS
    built = {n.identifier for n in project.compile(write=False).nodes.values()
             if n.kind in ("model", "seed") and n.materialized != "ephemeral"}
    assert schemas["intermediate"] == built - DEMO_RESULTS
    assert {"recs", "recs_lists", "labels", "train", "ratings", "comparison_pairs", "comparison_sums",
            "comparison_buckets", "user_ranking_stats", "ndcg_at_k", "recs_history"} <= schemas["intermediate"]


def test_ls_names_each_relations_schema(demo: tuple[Project, Any]) -> None:
    import json

    project, _ = demo
    listed = CliRunner().invoke(main, ["ls", "--project-dir", str(project.dir), "--output", "json",
                                       "-s", "recs_lists leaderboard", "--resource-type", "model"])
    assert listed.exit_code == 0, listed.output
    schemas = {row["name"]: row["schema"] for row in map(json.loads, listed.output.splitlines())}
    assert schemas == {"recs_lists": "intermediate", "leaderboard": "main"}


def test_query_show_and_the_api_read_an_intermediate_table_by_its_bare_name(demo: tuple[Project, Any]) -> None:
    project, _ = demo
    lists = project.query("select count(*) from recs_lists").rows[0][0]
    assert lists > 0
    assert project.query("select count(*) from intermediate.recs_lists").rows[0][0] == lists
    assert project.show("recs_lists", limit=3).columns[:2] == ["candidate", "user_id"]
    assert len(project.show(inline="select * from comparison_sums", limit=2).rows) == 2
    queried = CliRunner().invoke(main, ["query", "--project-dir", str(project.dir),
                                        "select count(*) as n from hits"])
    assert queried.exit_code == 0, queried.output
    # a bare name no schema holds: DuckDB's own message, with its guess from any schema
    missing = CliRunner().invoke(main, ["query", "--project-dir", str(project.dir), "select * from recs_list"])
    assert missing.exit_code == 1 and "recs_list does not exist" in missing.output
    assert "recs_lists" in missing.output


def test_a_duckdb_client_sees_only_the_results_in_main(demo: tuple[Project, Any]) -> None:
    import duckdb

    project, _ = demo
    with duckdb.connect(str(project.warehouse_path), read_only=True) as con:
        tables = {r[0] for r in con.execute("show tables").fetchall()}
    assert tables == DEMO_RESULTS


# -- a schema of one's own ----------------------------------------------------------------------

OWN_FILES = {
    # base gets its schema from its folder, mid from the YAML beside it, top from its own
    # config(); a_reads_top renders before top, whose schema it must still find
    "models/staging/base.sql": "{{ config(materialized='table') }}\nselect 1 as id",
    "models/mid.sql": "select id + 1 as id from {{ ref('base') }}",
    "models/mid.yml": "models:\n  - name: mid\n    config: {schema: work, materialized: table}\n",
    "models/top.sql": "{{ config(materialized='table', schema='reports') }}\nselect id * 10 as id from {{ ref('mid') }}",
    "models/a_reads_top.sql": "select id from {{ ref('top') }}",
}
OWN_PROJECT = "name: own\nmodels:\n  staging:\n    +schema: landing\n"


def test_a_users_schema_from_the_folder_the_yaml_or_the_file(make_project) -> None:
    root = make_project(OWN_FILES, OWN_PROJECT)
    project = Project.load(root)
    result = project.build(RunOptions(report=False, mlflow=False))
    assert result.success, [(r.name, r.message) for r in result.results]
    with read_warehouse(project.warehouse_path) as con:
        placed = set(con.execute("select table_schema, table_name, table_type from information_schema.tables"
                                 " where table_catalog = current_database()").fetchall())
        assert con.execute("select id from a_reads_top").fetchall() == [(20,)]
    assert placed == {("landing", "base", "BASE TABLE"), ("work", "mid", "BASE TABLE"),
                      ("reports", "top", "BASE TABLE"), ("main", "a_reads_top", "VIEW")}
    compiled = (root / "target/compiled/models/a_reads_top.sql").read_text(encoding="utf-8")
    assert '"reports"."top"' in compiled
    assert project.query("select id from top").rows == [(20,)]  # every schema of the project, by name


def test_two_relations_of_one_name_in_two_schemas_are_refused(make_project) -> None:
    root = make_project({
        "models/scores.sql": "select 1 as x",
        "models/steps/scores_v2.sql": "{{ config(alias='scores') }}\nselect 2 as x",
    }, "name: own\nmodels:\n  steps:\n    +schema: intermediate\n")
    with pytest.raises(GraphError) as caught:
        Project.load(root).compile(write=False)
    message = str(caught.value)
    assert '"main"."scores"' in message and '"intermediate"."scores"' in message
    assert "alias" in caught.value.hint


def test_a_model_yaml_config_key_is_checked(make_project) -> None:
    root = make_project({"models/m.sql": "select 1 as x",
                         "models/m.yml": "models:\n  - name: m\n    config: {schemma: work}\n"})
    with pytest.raises(ConfigError, match="unknown key 'schemma' under 'config'") as caught:
        Project.load(root)
    assert "did you mean 'schema'" in caught.value.hint
    assert caught.value.line == 3


def test_a_model_moved_to_another_schema_leaves_no_stale_copy(make_project) -> None:
    """A warehouse built before a model moved keeps its old relation until the model builds
    again: then the old one goes (a bare name would read it first); a source stays."""
    root = make_project({
        "models/recs.sql": "{{ config(materialized='table') }}\nselect {{ var('v', 1) }} as v",
        "models/out.sql": "select v from {{ ref('recs') }}",
    }, "name: own\n")
    first = CliRunner().invoke(main, ["build", "--project-dir", str(root), "--no-mlflow", "--no-report"])
    assert first.exit_code == 0, first.output
    (root / "project.yml").write_text("name: own\nmodels:\n  +schema: intermediate\n", encoding="utf-8")
    (root / "models/out.yml").write_text("models:\n  - name: out\n    config: {schema: main}\n", encoding="utf-8")
    moved = CliRunner().invoke(main, ["build", "--project-dir", str(root), "--no-mlflow", "--no-report",
                                      "--vars", "{v: 2}"])
    assert moved.exit_code == 0, moved.output
    assert 'dropped 1 relation(s)' in moved.output and '"main"."recs"' in moved.output
    project = Project.load(root)
    assert relations_by_schema(project) == {"main": {"out"}, "intermediate": {"recs"}}
    assert project.query("select v from recs").rows == [(2,)]


def test_blank_template_names_only_existing_folders(tmp_path: Path) -> None:
    """The blank template has no staging, split or labels folder: its models block names
    the folders it has, or loading it would fail."""
    from evalhouse.api.scaffold import init_project

    init_project(tmp_path / "eval", "blank")
    text = (tmp_path / "eval" / "project.yml").read_text(encoding="utf-8")
    assert "inputs: {+schema: intermediate}" in text and "staging:" not in text
    project = Project.load(tmp_path / "eval")
    assert {n.config.schema for n in project.nodes.values() if n.name in ("recs", "recs_lists", "hits")} == {
        "intermediate"}
    assert {n.config.schema for n in project.nodes.values() if n.name in ("comparisons", "inputs_manifest")} == {
        "main"}


def test_spark_query_gives_a_bare_name_its_schema() -> None:
    """Spark looks a bare name up in main only: query qualifies the names that live
    elsewhere, leaving CTEs, main's tables and qualified names alone."""
    from evalhouse.targets.spark.sql import to_spark

    sql = ("with recs as (select * from recs_lists) select * from recs join leaderboard using (candidate)"
           " join other.hits using (user_id) join labels using (user_id)")
    spark = to_spark(sql, bare_names={"recs_lists": "intermediate", "labels": "intermediate",
                                      "hits": "intermediate", "recs": "intermediate"}).sql
    lines = [line.strip() for line in spark.splitlines()]
    assert "FROM intermediate.recs_lists" in lines and "JOIN intermediate.labels" in lines
    assert "FROM recs" in lines and "JOIN leaderboard" in lines  # the CTE and main's table
    assert "JOIN other.hits" in lines
