"""Where evalhouse writes and what `clean` deletes: never the project's sources, never
files it did not write, never through a symlink."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import write_files

from evalhouse.cli import main
from evalhouse.project.written import RECORD_FILE

FILES = {
    "seeds/raw.csv": "id,amount\n1,10\n2,20\n",
    "macros/util.sql": "{% macro twice(x) %}({{ x }} * 2){% endmacro %}",
    "models/stg.sql": "select id, {{ twice('amount') }} as amount from {{ ref('raw') }}",
    "tests/data/positive.sql": "select * from {{ ref('stg') }} where amount < 0",
}
SOURCES = ("project.yml", "models/stg.sql", "macros/util.sql", "seeds/raw.csv", "tests/data/positive.sql")


def invoke(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


def project_with(root: Path, extra_yml: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    write_files(root, {**FILES, "project.yml": "name: paths\n" + extra_yml})
    return root


def assert_sources_intact(root: Path) -> None:
    for relative in SOURCES:
        assert (root / relative).is_file(), f"{relative} was deleted"


@pytest.mark.parametrize(("yml", "line", "reason"), [
    ("paths:\n  target: .\n", 3, "it is the project folder itself"),
    ("paths:\n  target: ..\n", 3, "it contains the project folder"),
    ("paths:\n  target: /\n", 3, "it is the filesystem root"),
    ("paths:\n  target: '~'\n", 3, "it is your home folder"),
    ("paths:\n  target: models\n", 3, "source folder paths.models"),
    ("paths:\n  target: macros/out\n", 3, "inside the source folder paths.macros"),
    ("paths:\n  target: seeds\n", 3, "source folder paths.seeds"),
    ("paths:\n  target: tests\n", 3, "it contains the source folder paths.data_tests"),
    ("paths:\n  target: ./models/../models\n", 3, "source folder paths.models"),
    ("warehouse: .\n", 2, "it is the project folder itself"),
    ("warehouse: models/w.duckdb\n", 2, "inside the source folder paths.models"),
    ("warehouse: project.yml\n", 2, "it is project.yml"),
    ("paths:\n  target: project.yml\n", 3, "it is project.yml"),
    ("paths:\n  target: models/stg.sql\n", 3, "it is a file, not a folder"),
    ("targets:\n  spark:\n    warehouse_dir: ..\n", 4, "it contains the project folder"),
    ("targets:\n  spark:\n    metastore_dir: seeds\n", 4, "source folder paths.seeds"),
    ("duckdb:\n  temp_directory: /\n", 3, "it is the filesystem root"),
])
@pytest.mark.parametrize("command", ["compile", "build", "clean"])
def test_unsafe_write_places_are_config_errors(tmp_path, yml, line, reason, command):
    root = project_with(tmp_path / "home" / "project", yml)
    before = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    result = invoke(command, "--project-dir", root)
    assert result.exit_code == 2, result.output
    assert f"project.yml:{line}" in result.output and reason in result.output, result.output
    assert "hint:" in result.output and "internal error" not in result.output
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == before  # nothing written


def test_build_then_clean_removes_what_it_wrote_and_keeps_the_warehouse(tmp_path):
    root = project_with(tmp_path / "project")
    assert invoke("build", "--project-dir", root, "-q").exit_code == 0
    target = root / "target"
    recorded = set((target / RECORD_FILE).read_text().split())
    assert {"compiled", "manifest.json", "run_results.json", "warehouse.duckdb"} <= recorded
    (target / "notes.txt").write_text("mine")
    result = invoke("clean", "--project-dir", root)
    assert result.exit_code == 0, result.output
    assert "removed target/compiled" in result.output and "removed target/manifest.json" in result.output
    assert "left target/notes.txt: not written by evalhouse" in result.output
    assert not (target / "compiled").exists() and not (target / "run_results.json").exists()
    assert (target / "warehouse.duckdb").is_file() and (target / "notes.txt").read_text() == "mine"
    assert_sources_intact(root)
    result = invoke("clean", "--all", "--project-dir", root)
    assert result.exit_code == 0 and "removed target/warehouse.duckdb" in result.output
    assert not (target / "warehouse.duckdb").exists() and (target / "notes.txt").is_file()
    assert_sources_intact(root)


def test_a_target_outside_the_project_keeps_its_unrelated_files(tmp_path):
    outside = tmp_path / "shared"
    write_files(outside, {"keep.txt": "theirs", "data/big.csv": "a\n1\n", "manifest.json.bak": "{}"})
    root = project_with(tmp_path / "project", f"warehouse: {outside.as_posix()}/warehouse.duckdb\n"
                                               f"paths:\n  target: {outside.as_posix()}\n")
    assert invoke("build", "--project-dir", root, "-q").exit_code == 0
    assert (outside / "compiled").is_dir() and (outside / "warehouse.duckdb").is_file()
    result = invoke("clean", "--all", "--project-dir", root)
    assert result.exit_code == 0, result.output
    assert "internal error" not in result.output
    assert f"removed {(outside / 'compiled').as_posix()}" in result.output
    assert f"left {(outside / 'keep.txt').as_posix()}: not written by evalhouse" in result.output
    assert (outside / "keep.txt").read_text() == "theirs" and (outside / "data/big.csv").is_file()
    assert (outside / "manifest.json.bak").is_file()
    assert not (outside / "compiled").exists() and not (outside / "warehouse.duckdb").exists()
    assert_sources_intact(root)


def test_a_relative_target_outside_the_project_is_allowed_when_it_does_not_contain_it(tmp_path):
    root = project_with(tmp_path / "project", "paths:\n  target: ../build-out\n")
    assert invoke("compile", "--project-dir", root).exit_code == 0
    assert (tmp_path / "build-out/compiled/models/stg.sql").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build-out", "project"]  # nothing else in the parent


def test_clean_removes_symlinks_as_links_and_never_follows_them(tmp_path):
    precious = tmp_path / "precious"
    write_files(precious, {"a.txt": "a", "inner/b.txt": "b"})
    root = project_with(tmp_path / "project")
    assert invoke("build", "--project-dir", root, "-q").exit_code == 0
    target = root / "target"
    os.symlink(precious, target / "compiled" / "escape")  # a link inside a recorded folder
    os.symlink(precious / "a.txt", target / "link.txt")  # an unrecorded link at the top
    (target / "jinja_bytecode").rename(target / "jinja_bytecode.old")
    os.symlink(precious, target / "jinja_bytecode")  # a recorded name that is now a link
    result = invoke("clean", "--project-dir", root)
    assert result.exit_code == 0, result.output
    assert not (target / "compiled").exists() and not os.path.lexists(target / "jinja_bytecode")
    assert (target / "link.txt").is_symlink() and "left target/link.txt" in result.output
    assert (precious / "a.txt").read_text() == "a" and (precious / "inner/b.txt").read_text() == "b"
    assert_sources_intact(root)


def test_a_target_without_the_record_loses_only_the_names_evalhouse_writes(tmp_path):
    """A target folder an older evalhouse wrote has no record: only the known names go."""
    root = project_with(tmp_path / "project")
    assert invoke("build", "--project-dir", root, "-q").exit_code == 0
    target = root / "target"
    (target / RECORD_FILE).unlink()
    write_files(target, {"mine/x.sql": "select 1", "results.csv": "a\n"})
    result = invoke("clean", "--project-dir", root)
    assert result.exit_code == 0, result.output
    assert not (target / "compiled").exists() and not (target / "manifest.json").exists()
    assert (target / "mine/x.sql").is_file() and (target / "results.csv").is_file()
    assert (target / "warehouse.duckdb").is_file()
    assert_sources_intact(root)


def test_a_warehouse_in_a_subfolder_of_target_is_kept_by_its_folder(tmp_path):
    root = project_with(tmp_path / "project", "warehouse: target/db/w.duckdb\n")
    assert invoke("build", "--project-dir", root, "-q").exit_code == 0
    recorded = (root / "target" / RECORD_FILE).read_text().split()
    assert len(recorded) == len(set(recorded)) and "db" in recorded
    result = invoke("clean", "--project-dir", root)
    assert result.exit_code == 0 and (root / "target/db/w.duckdb").is_file(), result.output
    assert invoke("clean", "--all", "--project-dir", root).exit_code == 0
    assert not (root / "target/db").exists()


def test_clean_without_a_target_folder_is_a_no_op(tmp_path):
    root = project_with(tmp_path / "project")
    result = invoke("clean", "--project-dir", root)
    assert result.exit_code == 0 and result.output == ""
    assert_sources_intact(root)


def test_spark_sql_is_recorded_and_cleaned(tmp_path):
    root = project_with(tmp_path / "project")
    result = invoke("compile", "--target", "spark", "--project-dir", root)
    assert result.exit_code == 0, result.output
    assert "compiled_spark" in (root / "target" / RECORD_FILE).read_text().split()
    assert invoke("clean", "--project-dir", root).exit_code == 0
    assert not (root / "target/compiled_spark").exists()
