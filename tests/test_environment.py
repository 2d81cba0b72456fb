"""The environment of one invocation: `{{ env_var() }}` in project.yml's values, and the
evaluation inputs given on the command line (--labels, --train, --candidate NAME=PATH),
so that a CI job evaluates a fresh model file without rewriting project.yml."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import write_files
from evaluation_project import write_project_yml

from evalhouse import Project, RunOptions
from evalhouse.cli import main
from evalhouse.errors import ConfigError
from evalhouse.project.overrides import EvaluationOverrides, apply_overrides, parse_candidate

# text user ids; the train file gives the popular baseline something to learn from
LABELS = "user_id,item_id,relevance\nu1,1,5\nu1,2,3\nu2,3,4\nu3,4,5\n"
TRAIN = "user_id,item_id,rating,ts\n" + "".join(
    f"u{user},{item},4,2020-01-{user + item:02d} 00:00:00\n"
    for user in range(1, 5) for item in range(1, 7) if (user + item) % 2)
MINE = "user_id,item_id,rank\nu1,1,1\nu1,3,2\nu2,3,1\nu2,4,2\nu3,5,1\nu3,4,2\n"
FRESH = "user_id,item_id,rank\nu1,2,1\nu1,1,2\nu2,3,1\nu2,1,2\nu3,4,1\nu3,2,2\n"

SMALL_YML = """\
name: env_project
vars:
  tag: "{{ env_var('EVALHOUSE_TEST_TAG', 'no-tag') }}"
evaluation:
  labels: "{{ env_var('EVALHOUSE_TEST_LABELS', 'inputs/labels.csv') }}"
  candidates:
    m: "{{ env_var('EVALHOUSE_TEST_MODEL') }}"
"""


def invoke(*args: object, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


# what the tests put into the environment: a value env_var() reads is masked for the rest of
# the process (secrets.remember), so each is a name no other test prints
ENV_MODEL = "inputs/env-model-4731.csv"
ENV_LABELS = "inputs/env-labels-4732.csv"


@pytest.fixture
def small(make_project) -> Path:
    """An engine project (no evaluation models) whose evaluation block reads the environment."""
    return make_project({"inputs/labels.csv": LABELS, ENV_LABELS: LABELS, ENV_MODEL: MINE,
                         "models/one.sql": "select 1 as n"}, project_yml=SMALL_YML)


# -- env_var() in project.yml --------------------------------------------------------------


def test_env_var_with_and_without_a_default_in_evaluation_paths(small, monkeypatch):
    monkeypatch.setenv("EVALHOUSE_TEST_MODEL", ENV_MODEL)
    monkeypatch.delenv("EVALHOUSE_TEST_LABELS", raising=False)
    project = Project.load(small)
    assert project.config.evaluation.candidates == {"m": ENV_MODEL}
    assert project.config.evaluation.labels == "inputs/labels.csv"  # the default
    assert project.vars["tag"] == "no-tag"
    context = project.evaluation_context()
    assert context["candidates"]["m"]["path"] == (small / ENV_MODEL).resolve().as_posix()
    assert small / ENV_MODEL in project.sandbox_paths()
    monkeypatch.setenv("EVALHOUSE_TEST_LABELS", ENV_LABELS)
    assert Project.load(small).config.evaluation.labels == ENV_LABELS  # the variable wins


def test_a_rendered_value_is_read_as_the_type_its_key_takes(make_project, monkeypatch):
    monkeypatch.setenv("EVALHOUSE_TEST_THREADS", "3")
    project = Project.load(make_project(project_yml="name: t\nduckdb:\n  threads: \"{{ env_var('EVALHOUSE_TEST_THREADS') }}\"\n"))
    assert project.config.duckdb.threads == 3


def test_a_missing_variable_without_a_default_names_the_key_and_the_variable(small, monkeypatch):
    monkeypatch.delenv("EVALHOUSE_TEST_MODEL", raising=False)
    result = invoke("build", "--project-dir", small)
    assert result.exit_code == 2, result.output
    assert "project.yml:7: key 'evaluation.candidates.m': environment variable 'EVALHOUSE_TEST_MODEL' is not set" \
        in result.output
    assert "env_var('EVALHOUSE_TEST_MODEL', 'value')" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("value, expect", [
    ("{{ ref('x') }}", "'ref' is undefined"),
    ("{{ env_var('A' }}", "is not a valid template"),
    ("{{ ''.__class__ }}", "cannot be rendered"),
])
def test_only_env_var_is_available_in_project_yml(make_project, value, expect):
    root = make_project(project_yml=f'name: t\nvars:\n  x: "{value}"\n')
    with pytest.raises(ConfigError) as caught:
        Project.load(root)
    assert caught.value.line == 3 and "key 'vars.x'" in caught.value.message and expect in caught.value.message


def test_what_a_variable_holds_is_never_rendered(make_project, monkeypatch):
    monkeypatch.setenv("EVALHOUSE_TEST_TEMPLATE", "{{ env_var('HOME') }}")
    project = Project.load(make_project(project_yml="name: t\nvars:\n  x: \"{{ env_var('EVALHOUSE_TEST_TEMPLATE') }}\"\n"))
    assert project.vars["x"] == "{{ env_var('HOME') }}"


def test_a_missing_file_from_the_environment_names_the_variable(small, monkeypatch):
    monkeypatch.setenv("EVALHOUSE_TEST_MODEL", "inputs/gone-4721.csv")
    result = invoke("run", "--project-dir", small)
    assert result.exit_code == 2, result.output
    # the path itself is masked (it came from the environment): the variable says which
    assert "evaluation.candidates.m (from env_var('EVALHOUSE_TEST_MODEL')): file '***' does not exist" in result.output
    assert "gone-4721" not in result.output


def test_env_var_values_are_masked_in_manifest_run_results_and_mlflow_params(small, monkeypatch):
    from evalhouse.publish.tracking.payload import build_params

    tag, model = "tag-from-env-4722", "inputs/model-from-env-4723.csv"
    shutil.copy(small / ENV_MODEL, small / model)
    write_files(small, {"models/uses_inputs.sql": "select '{{ var('tag') }}' as tag, "
                                                  "'{{ evaluation.candidates.m.path }}' as path"})
    monkeypatch.setenv("EVALHOUSE_TEST_TAG", tag)
    monkeypatch.setenv("EVALHOUSE_TEST_MODEL", model)
    result = invoke("build", "--project-dir", small)
    assert result.exit_code == 0, result.output
    manifest = json.loads((small / "target/manifest.json").read_text())
    run_results = json.loads((small / "target/run_results.json").read_text())
    assert manifest["vars"]["tag"] == "***" and run_results["args"]["vars"]["tag"] == "***"
    for path in (small / "target").rglob("*"):
        if path.is_file() and path.suffix in (".json", ".sql"):
            text = path.read_text()
            assert tag not in text and "model-from-env" not in text, path
    assert "as path" in (small / "target/compiled/models/uses_inputs.sql").read_text()
    params = build_params(Project.load(small))
    assert params["vars.tag"] == "***" and params["evaluation.candidates.m"] == "***"
    assert params["evaluation.labels"] == "inputs/labels.csv"  # a default is project.yml's own text
    # the build itself used the real values (query results are the user's data, not masked)
    out = invoke("query", "--project-dir", small, "select tag, path from uses_inputs", "--format", "csv")
    assert out.exit_code == 0 and tag in out.output and model in out.output


# -- --labels, --train, --items, --candidate -----------------------------------------------


@pytest.fixture(scope="module")
def evaluation_project(tiny_template, tmp_path_factory) -> Path:
    """The demo with tiny seeds, pointed at text-id labels and one candidate file."""
    root = tmp_path_factory.mktemp("environment") / "project"
    shutil.copytree(tiny_template, root)
    write_files(root, {"inputs/labels.csv": "user_id,item_id,relevance\nx,1,5\n", "inputs/mine.csv": MINE})

    def point_at_files(config: dict) -> None:
        config["evaluation"] = {"labels": "inputs/labels.csv", "candidates": {"mine": "inputs/mine.csv"},
                                "baselines": ["popular"], "baseline": "popular"}
        config["vars"]["k_values"] = [1, 2]
        config["mlflow"]["enabled"] = False

    write_project_yml(root, point_at_files)
    return root


def test_labels_train_and_candidate_on_the_command_line(evaluation_project, tmp_path, monkeypatch):
    root = tmp_path / "project"
    shutil.copytree(evaluation_project, root)
    ci = tmp_path / "ci"  # the CI job's files, outside the project
    write_files(ci, {"labels.csv": LABELS, "train.csv": TRAIN, "fresh.csv": FRESH})
    monkeypatch.chdir(ci)  # command-line paths start at the current folder
    result = invoke("build", "--project-dir", root, "--no-report", "--labels", "labels.csv",
                    "--train", "train.csv", "--candidate", "fresh=fresh.csv")
    assert result.exit_code == 0, result.output
    assert "fresh" in result.output  # the leaderboard printed at the end
    out = invoke("query", "--project-dir", root, "select candidate from leaderboard order by 1", "--format", "csv")
    assert out.output.split() == ["candidate", "fresh", "mine", "popular"]  # project.yml's mine stays
    out = invoke("query", "--project-dir", root, "select distinct user_id from labels order by 1", "--format", "csv")
    assert out.output.split() == ["user_id", "u1", "u2", "u3"]  # --labels, not project.yml's
    out = invoke("query", "--project-dir", root, "select count(*) from train where user_id = 'u4'", "--format", "csv")
    assert out.output.split()[1] != "0"  # --train
    assert "evaluation:\n  labels: inputs/labels.csv" in (root / "project.yml").read_text()  # left as it was


def test_a_candidate_with_a_project_name_replaces_its_file(evaluation_project, tmp_path):
    root = tmp_path / "project"
    shutil.copytree(evaluation_project, root)
    write_files(tmp_path, {"fresh.csv": FRESH, "labels.csv": LABELS, "train.csv": TRAIN})
    project = Project.load(root, evaluation_overrides={"labels": str(tmp_path / "labels.csv"),
                                                       "train": tmp_path / "train.csv",
                                                       "candidates": {"mine": tmp_path / "fresh.csv"}})
    assert project.config.evaluation.candidates == {"mine": (tmp_path / "fresh.csv").resolve().as_posix()}
    assert project.overridden == {("labels",): "--labels", ("train",): "--train",
                                  ("candidates", "mine"): "--candidate mine"}
    assert Path((tmp_path / "fresh.csv").resolve().as_posix()) in project.sandbox_paths()
    result = project.build(RunOptions(report=False, mlflow=False))
    assert result.success, [(r.name, r.message) for r in result.results if r.status in ("error", "fail")]
    assert sorted(r[0] for r in project.query("select candidate from leaderboard").rows) == ["mine", "popular"]
    recs = project.query("select distinct item_id from recs where candidate = 'mine' order by 1").rows
    assert [r[0] for r in recs] == [1, 2, 3, 4]  # fresh.csv's items, not inputs/mine.csv's


def test_a_candidate_override_keeps_the_settings_of_a_mapping(tmp_path):
    from evalhouse.project.config import EvaluationConfig

    write_files(tmp_path, {"new.parquet": "x"})
    evaluation = EvaluationConfig.model_validate(
        {"candidates": {"m": {"path": "old.parquet", "probabilities": True, "description": "the model"}}})
    merged, named = apply_overrides(evaluation, EvaluationOverrides(candidates={"m": "new.parquet"}), cwd=tmp_path)
    entry = merged.candidates["m"]
    assert entry.path == (tmp_path / "new.parquet").as_posix() and entry.probabilities and entry.description
    assert named == {("candidates", "m"): "--candidate m"}


@pytest.mark.parametrize("args, expect", [
    (("--candidate", "fresh"), "--candidate 'fresh' is not NAME=PATH"),
    (("--candidate", "=recs.csv"), "--candidate '=recs.csv' is not NAME=PATH"),
    (("--candidate", "fresh=nowhere-4724.csv"), "--candidate fresh: file 'nowhere-4724.csv' does not exist"),
    (("--candidate", "a=x.csv", "--candidate", "a=y.csv"), "--candidate a is given twice"),
    (("--labels", "nowhere.csv"), "--labels: file 'nowhere.csv' does not exist"),
    (("--train", "."), "--train: file '.' is a folder, not a file"),
    (("--items", "items-4725.csv"), "--items: file 'items-4725.csv' does not exist"),
])
def test_a_bad_override_exits_2_naming_the_option(evaluation_project, tmp_path, monkeypatch, args, expect):
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path, {"x.csv": MINE, "y.csv": MINE})
    result = invoke("run", "--project-dir", evaluation_project, *args)
    assert result.exit_code == 2, result.output
    assert expect in result.output and "hint:" in result.output and "Traceback" not in result.output


def test_an_overridden_file_without_a_required_column_names_the_option(evaluation_project, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path, {"wrong.csv": LABELS})
    result = invoke("run", "--project-dir", evaluation_project, "--candidate", "fresh=wrong.csv")
    assert result.exit_code == 2, result.output
    assert "--candidate fresh (evaluation.candidates.fresh): file" in result.output
    assert "has no column rank or score" in result.output and "project.yml:" not in result.output


def test_parse_candidate_and_unknown_override_keys():
    assert parse_candidate(" m = dir/recs=v2.parquet ") == ("m", "dir/recs=v2.parquet")
    with pytest.raises(ConfigError, match="unknown key 'label'"):
        EvaluationOverrides.of({"label": "x.csv"})
    with pytest.raises(ConfigError, match="'candidates' must map names to files"):
        EvaluationOverrides.of({"candidates": ["x.csv"]})


def test_items_sets_evaluation_items_and_the_sandbox_reads_it(small, tmp_path, monkeypatch):
    monkeypatch.setenv("EVALHOUSE_TEST_MODEL", ENV_MODEL)
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path, {"catalog/items.csv": "item_id\n1\n"})
    project = Project.load(small, evaluation_overrides=EvaluationOverrides(items="catalog/items.csv"))
    path = (tmp_path / "catalog/items.csv").resolve()
    assert project.config.evaluation.items == path.as_posix() and path in project.sandbox_paths()
    assert project.evaluation_context()["items"] == path.as_posix()


def test_the_options_read_their_environment_variables(evaluation_project, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_files(tmp_path, {"a.csv": MINE})
    result = invoke("run", "--project-dir", evaluation_project, "-s", "candidate_files",
                    env={"EVALHOUSE_CANDIDATE": "a=a.csv b=nowhere-4726.csv"})
    assert result.exit_code == 2 and "--candidate b: file 'nowhere-4726.csv' does not exist" in result.output
