"""Metric metadata: declared once in YAML beside each metric model, checked when the project
loads, gathered in `metric_definitions`, and read by the comparisons (a win is an
improvement), the report's colours and the leaderboard's key columns."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import write_files

from evalhouse import Project, RunOptions
from evalhouse.errors import ConfigError, TemplateError
from evalhouse.evaluation.leaderboard import choose_columns

REPO = Path(__file__).resolve().parent.parent


def test_the_demo_declares_every_metric_it_computes(demo: tuple[Any, Any]) -> None:
    project, _ = demo
    undeclared = project.query("select distinct metric from metrics anti join metric_definitions using (metric)")
    assert undeclared.rows == []
    rows = project.query("select metric, direction, family, range_min, range_max from metric_definitions").rows
    by_metric = {metric: (direction, family, low, high) for metric, direction, family, low, high in rows}
    # the directions the report once got wrong: less popularity bias, concentration and
    # distance from the user's taste are better
    for lower in ("avg_popularity", "gini", "calibration_kl", "seen_rate", "mae", "rmse", "log_loss"):
        assert by_metric[lower][0] == "lower", lower
    for higher in ("ndcg", "recall", "catalog_coverage", "roc_auc", "r2"):
        assert by_metric[higher][0] == "higher", higher
    assert by_metric["ndcg"][1:] == ("ranking", 0.0, 1.0)
    assert by_metric["r2"][2:] == (None, 1.0)
    # every value lies in its declared range
    outside = project.query(
        "select m.metric, m.candidate, m.k, m.value from metrics m join metric_definitions d using (metric) "
        "where m.value < d.range_min - 1e-12 or m.value > d.range_max + 1e-12").rows
    assert outside == []


META = """models:
  - name: coverage_share
    meta:
      metrics:
        coverage_share:
{fields}
"""
GOOD = ("          family: beyond_accuracy\n          direction: higher\n          range: [0, 1]\n"
        "          description: share of the catalog recommended\n")


def small_metric_project(root: Path, yml: str | None) -> Path:
    """A project with the demo's metric_definitions model and one model tagged metric."""
    files = {
        "project.yml": "name: m\n",
        "models/metric_definitions.sql": (REPO / "models/metrics/metric_definitions.sql").read_text(),
        "models/coverage_share.sql": "{{ config(materialized='table', tags=['metric']) }}\n"
                                     "select 'a' as candidate, 'coverage_share' as metric, 10 as k, 0.5 as value\n",
    }
    if yml is not None:
        files["models/coverage_share.yml"] = yml
    write_files(root, files)
    (root / "macros").mkdir(exist_ok=True)
    shutil.copy(REPO / "macros/dialect.sql", root / "macros/dialect.sql")
    return root


def test_a_metric_model_without_metadata_is_a_compile_error_naming_its_file(tmp_path):
    root = small_metric_project(tmp_path, None)
    with pytest.raises(TemplateError) as info:
        Project.load(root).compile()
    assert "model coverage_share is tagged 'metric' but no YAML declares what its metrics are" in info.value.message
    assert info.value.path == "models/coverage_share.sql"
    assert "direction: higher" in info.value.hint


def test_declared_metadata_becomes_the_metric_definitions_table(tmp_path):
    root = small_metric_project(tmp_path, META.format(fields=GOOD + "          display_name: Coverage share\n"))
    project = Project.load(root)
    assert project.build(RunOptions(report=False, mlflow=False)).success
    rows = project.query("select metric, display_name, family, direction, range_min, range_max, is_key, model "
                         "from metric_definitions").rows
    assert rows == [("coverage_share", "Coverage share", "beyond_accuracy", "higher", 0.0, 1.0, False,
                     "coverage_share")]


@pytest.mark.parametrize(("fields", "message", "line"), [
    ("          family: ranking\n          description: x\n", "has no direction", 5),
    (GOOD.replace("direction: higher", "direction: hgher"), "direction must be higher, lower or neutral", 7),
    (GOOD.replace("family: beyond_accuracy", "family: rankng"), "unknown family 'rankng'", 6),
    (GOOD + "          unit: share\n", "unknown key 'unit'", 10),
    (GOOD.replace("range: [0, 1]", "range: [1, 0]"), "ends below its start", 8),
    (GOOD.replace("range: [0, 1]", "range: [0, .inf]"), "a range end must be a number or null", 8),
])
def test_bad_metadata_is_a_config_error_at_its_line(tmp_path, fields, message, line):
    root = small_metric_project(tmp_path, META.format(fields=fields))
    with pytest.raises(ConfigError) as info:
        Project.load(root)
    assert message in info.value.message
    assert info.value.path == "models/coverage_share.yml" and info.value.line == line


def test_a_metric_declared_by_two_models_is_an_error(tmp_path):
    root = small_metric_project(tmp_path, META.format(fields=GOOD) + "  - name: other\n    meta:\n      metrics:\n"
                                "        coverage_share:\n" + GOOD)
    write_files(root, {"models/other.sql": "{{ config(tags=['metric']) }}select 1 as x"})
    with pytest.raises(TemplateError) as info:
        Project.load(root).compile()
    assert "metric 'coverage_share' is declared by two models" in info.value.message


DEFINITIONS = [
    {"metric": "ndcg", "family": "ranking", "is_key": True, "position": 1},
    {"metric": "recall", "family": "ranking", "is_key": True, "position": 2},
    {"metric": "map_capped", "family": "ranking", "is_key": False, "position": 3},
    {"metric": "novelty", "family": "beyond_accuracy", "is_key": True, "position": 4},
    {"metric": "roc_auc", "family": "classification", "is_key": True, "position": 5},
]
COLUMNS = ["candidate", "n_users", "map_capped@10", "ndcg@5", "ndcg@10", "novelty@10", "recall@5", "recall@10",
           "roc_auc"]


@pytest.mark.parametrize(("configured", "max_columns", "shown", "left_out", "unknown"), [
    (None, 10, ["ndcg@10", "recall@10", "novelty@10", "roc_auc"], 3, []),  # the sort metric, then the key ones at its K
    (None, 2, ["ndcg@10", "recall@10"], 5, []),
    (["recall@5", "map_capped@10", "mrr@10"], 10, ["ndcg@10", "recall@5", "map_capped@10"], 4, ["mrr@10"]),
])
def test_the_leaderboard_shows_the_sort_metric_then_the_chosen_ones(configured, max_columns, shown, left_out, unknown):
    choice = choose_columns(COLUMNS, DEFINITIONS, ("ndcg", 10), configured, max_columns)
    assert choice.columns == ["candidate", "n_users", *shown]
    assert choice.left_out == left_out and choice.unknown == unknown


def test_without_metadata_the_leaderboard_shows_its_first_columns():
    choice = choose_columns(["candidate", "a@1", "b@1"], [], ("ndcg", 10), None, 1)
    assert choice.columns == ["candidate", "a@1"] and choice.left_out == 1
