"""project.yml validation: unknown keys, wrong types, syntax errors, folder config."""

from __future__ import annotations

import pytest

from evalhouse import Project
from evalhouse.errors import ConfigError, ProjectError


def load_error(make_project, project_yml: str, files: dict[str, str] | None = None) -> ConfigError:
    root = make_project(files or {}, project_yml=project_yml)
    with pytest.raises(ProjectError) as info:
        Project.load(root)
    return info.value


def test_defaults_fill_in_what_the_file_leaves_out(make_project):
    project = Project.load(make_project(project_yml="name: tiny\n"))
    assert project.config.warehouse == "target/warehouse.duckdb"
    assert project.config.paths.models == "models"
    assert project.config.paths.data_tests == "tests/data"
    assert project.config.mlflow.enabled is False
    assert project.warehouse_path == project.dir / "target" / "warehouse.duckdb"


def test_unknown_top_level_key_suggests_the_nearest(make_project):
    error = load_error(make_project, "name: tiny\nwarehose: x.duckdb\n")
    assert "unknown key 'warehose'" in error.message
    assert error.hint == "did you mean 'warehouse'?"
    assert error.line == 2
    assert error.path.endswith("project.yml")


def test_unknown_nested_key_names_the_key_path(make_project):
    error = load_error(make_project, "name: tiny\nmlflow:\n  enabled: true\n  experimnt: demo\n")
    assert "mlflow.experimnt" in error.message
    assert error.hint == "did you mean 'experiment'?"
    assert error.line == 4


def test_wrong_type_names_the_key_path_and_line(make_project):
    error = load_error(make_project, "name: tiny\nmlflow:\n  enabled: maybe\n")
    assert "mlflow.enabled" in error.message
    assert error.line == 3


def test_wrong_type_in_a_mapping_of_models(make_project):
    error = load_error(make_project, "name: tiny\nseeds:\n  ratings:\n    header: [1]\n")
    assert "seeds.ratings.header" in error.message
    assert error.line == 4


def test_missing_name_is_reported(make_project):
    error = load_error(make_project, "version: '1'\n")
    assert "missing required key 'name'" in error.message


def test_yaml_syntax_error_names_the_line(make_project):
    error = load_error(make_project, "name: tiny\nvars:\n  a: [1, 2\n  b: 3\n")
    assert "not valid YAML" in error.message
    assert error.line is not None and error.line >= 3


def test_project_yml_that_is_not_a_mapping(make_project):
    error = load_error(make_project, "- name\n")
    assert "must be a mapping" in error.message


def test_no_project_file_says_how_to_make_one(tmp_path):
    with pytest.raises(ConfigError) as info:
        Project.load(tmp_path)
    assert "evalhouse init" in info.value.hint


def test_missing_models_folder(make_project, tmp_path):
    root = make_project()
    (root / "models").rmdir()
    with pytest.raises(ConfigError) as info:
        Project.load(root)
    assert "models folder" in info.value.message


def test_folder_config_unknown_setting_suggests_the_setting(make_project):
    error = load_error(
        make_project,
        "name: tiny\nmodels:\n  staging:\n    +materialised: table\n",
        {"models/staging/a.sql": "select 1 as x"},
    )
    assert "models.staging.+materialised" in error.message
    assert error.hint == "did you mean 'materialized'?"
    assert error.line == 4


def test_folder_config_unknown_materialization(make_project):
    error = load_error(make_project, "name: tiny\nmodels:\n  +materialized: tabel\n")
    assert "unknown materialization 'tabel'" in error.message
    assert error.hint == "did you mean 'table'?"


def test_folder_config_applies_deepest_folder_and_adds_tags(make_project):
    root = make_project(
        {"models/a/b/deep.sql": "select 1 as x", "models/a/shallow.sql": "select 1 as x"},
        project_yml=(
            "name: tiny\nmodels:\n  +materialized: view\n  +tags: [all]\n"
            "  a:\n    +tags: [a]\n    b:\n      +materialized: table\n      +tags: b\n"
        ),
    )
    project = Project.load(root)
    deep = project.node_named("deep")
    shallow = project.node_named("shallow")
    assert deep.config.materialized == "table"
    assert deep.config.tags == ["all", "a", "b"]
    assert shallow.config.materialized == "view"
    assert shallow.config.tags == ["all", "a"]


def test_seed_config_for_a_missing_seed_is_an_error(make_project):
    # a misspelt seed beside the project's real seeds; with no seed file at all the settings
    # are left over from a dataset removed on purpose and are ignored (tests/test_own_data.py)
    error = load_error(make_project, "name: tiny\nseeds:\n  nothere:\n    header: true\n",
                       files={"seeds/there.csv": "a\n1\n"})
    assert "nothere" in error.message


def test_candidate_file_that_does_not_exist_names_the_key(make_project):
    root = make_project(project_yml="name: tiny\nevaluation:\n  candidates:\n    mine: recs/missing.parquet\n")
    project = Project.load(root)
    with pytest.raises(ConfigError) as info:
        project.evaluation_context()
    assert "evaluation.candidates.mine" in info.value.message
    assert info.value.line == 4


def test_relative_paths_resolve_inside_the_project(make_project, monkeypatch, tmp_path):
    root = make_project(project_yml="name: tiny\nwarehouse: data/wh.duckdb\n")
    monkeypatch.chdir(tmp_path)
    assert Project.load(root).warehouse_path == root / "data" / "wh.duckdb"


def test_cli_vars_override_project_vars(make_project):
    project = Project.load(make_project(), vars={"threshold": 5, "extra": [1]})
    assert project.vars == {"threshold": 5, "extra": [1]}


# --- bounded YAML: alias bombs and repeated keys --------------------------------------------


def anchor_bomb(levels: int = 9, indent: str = "") -> str:
    """"Billion laughs": each level is nine aliases of the one before, 9**levels leaves."""
    lines = [f"{indent}l0: &l0 [x, x, x, x, x, x, x, x, x]"]
    for level in range(1, levels):
        aliases = ", ".join([f"*l{level - 1}"] * 9)
        lines.append(f"{indent}l{level}: &l{level} [{aliases}]")
    return "\n".join(lines) + "\n"


def test_an_anchor_bomb_in_project_yml_fails_fast_naming_the_line(make_project):
    import time

    started = time.monotonic()
    error = load_error(make_project, "name: tiny\nvars:\n" + anchor_bomb(indent="  "))
    assert time.monotonic() - started < 2
    assert isinstance(error, ConfigError)
    assert "anchors/aliases expand past 100,000 nodes" in error.message
    assert str(error.path).endswith("project.yml") and error.line is not None and error.line > 3


def test_an_anchor_bomb_in_cli_vars_exits_2_with_a_clear_message(make_project):
    import time

    from click.testing import CliRunner

    from evalhouse.cli import main

    root = make_project()
    vars_text = "{" + anchor_bomb().replace("\n", ", ").rstrip(", ") + "}"
    started = time.monotonic()
    result = CliRunner().invoke(main, ["compile", "--project-dir", str(root), "--vars", vars_text])
    assert time.monotonic() - started < 2
    assert result.exit_code == 2, result.output
    assert "--vars" in result.output and "anchors/aliases expand past" in result.output
    assert "Traceback" not in result.output


def test_aliases_within_the_bound_still_work(make_project):
    project = Project.load(make_project(project_yml="name: tiny\nvars:\n" + anchor_bomb(levels=3, indent="  ")))
    assert len(project.vars["l2"]) == 9 and project.vars["l2"][0][0] == ["x"] * 9


def test_a_repeated_top_level_block_names_both_lines(make_project):
    error = load_error(make_project, "name: tiny\nevaluation:\n  k_values: [5]\nvars: {}\nevaluation:\n  k_values: [10]\n")
    assert "'evaluation' twice" in error.message
    assert "line 2 and line 5" in error.message and error.line == 5


def test_a_repeated_nested_key_names_both_lines(make_project):
    error = load_error(make_project, "name: tiny\nvars:\n  k_values: [5]\n  other: 1\n  k_values: [10]\n")
    assert "'k_values' twice" in error.message and "line 3 and line 5" in error.message


def test_a_merge_key_may_be_overridden(make_project):
    project = Project.load(make_project(project_yml="name: tiny\nvars:\n  base: &b {k: 1, j: 2}\n  d:\n    <<: *b\n    k: 3\n"))
    assert project.vars["d"] == {"k": 3, "j": 2}

# the forms DuckDB 2.0.1 takes for a size, and some it refuses (tried on DuckDB itself below)
GOOD_SIZES = ["512MB", "8GB", "75%", "1.5GB", "1 GB", "1GiB", "20mb", "512M", "100000B", "50 %", "1 G B"]
BAD_SIZES = ["lots", "100", "", "1GBs", "GB"]


@pytest.mark.parametrize("size", GOOD_SIZES)
def test_duckdb_sizes_that_duckdb_takes_are_accepted(make_project, size):
    import duckdb

    project = Project.load(make_project(project_yml=f"name: tiny\nduckdb:\n  memory_limit: '{size}'\n"))
    assert project.config.duckdb.memory_limit == size
    duckdb.connect(config={"memory_limit": size}).close()  # and DuckDB agrees


@pytest.mark.parametrize("size", BAD_SIZES)
def test_duckdb_sizes_that_duckdb_refuses_name_the_key_and_line(make_project, size):
    import duckdb

    error = load_error(make_project, f"name: tiny\nduckdb:\n  max_temp_directory_size: '{size}'\n")
    assert isinstance(error, ConfigError) and error.line == 3
    assert "duckdb.max_temp_directory_size" in error.message and "such as 512MB, 8GB or 75%" in error.message
    with pytest.raises(duckdb.Error):  # DuckDB refuses it too, but only when the warehouse opens
        duckdb.connect(config={"max_temp_directory_size": size}).close()
