"""Project SQL cannot leave the project, and `query`/`show` cannot change anything.

Each attack of the review is a case: the DuckDB connection only reaches the project, the
declared evaluation inputs, the warehouse and its temp folder (tests/test_sandbox.py is
the Jinja sandbox).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from warehouse_reader import read_warehouse

from evalhouse import Project, RunOptions
from evalhouse.errors import GraphError, SandboxError, SqlError

TABLE = "{{ config(materialized='table') }}"


def build(root: Path) -> tuple[Project, object]:
    project = Project.load(root)
    return project, project.build(RunOptions())


def tables(project: Project) -> list[tuple]:
    with read_warehouse(str(project.warehouse_path)) as con:
        return con.execute("select table_name from information_schema.tables order by 1").fetchall()


def outside_file(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir(exist_ok=True)
    secret = folder / "secret.csv"
    secret.write_text("a,b\n1,2\n", encoding="utf-8")
    return secret


def failed(result: object, name: str) -> str:
    found = {r.name: r for r in result.results}[name]
    assert found.status == "error", found.status
    return found.message


# -- models and hooks: the connection's allow-list ---------------------------------------
@pytest.mark.parametrize("reader", ["read_csv('{path}')", "read_text('/etc/passwd')", "read_csv('/etc/passwd')"])
def test_a_model_cannot_read_a_file_outside_the_project(make_project, tmp_path, reader):
    secret = outside_file(tmp_path)
    root = make_project({"models/steal.sql": TABLE + f"select * from {reader.format(path=secret.as_posix())}"})
    _, result = build(root)
    assert not result.success
    assert "Permission" in failed(result, "steal")


def test_a_model_cannot_copy_to_a_file_outside_the_project(make_project, tmp_path):
    target = tmp_path / "outside" / "written.csv"
    target.parent.mkdir()
    root = make_project({"models/leak.sql": f"select 1 as x; copy (select 42) to '{target.as_posix()}'"})
    with pytest.raises(SandboxError) as info:
        build(root)
    assert str(info.value.path) == "models/leak.sql" and "2 SQL statements" in info.value.message
    assert info.value.exit_code == 2
    assert not target.exists()


def test_two_statements_in_a_model_are_refused(make_project):
    root = make_project({"models/two.sql": "select 1 as x;\nselect 2 as y"})
    with pytest.raises(SandboxError) as info:
        Project.load(root).compile(write=False)
    assert "models/two.sql" in info.value.render() and "one is allowed" in info.value.message


def test_a_data_test_cannot_break_out_of_its_wrapper(make_project, tmp_path):
    target = tmp_path / "outside" / "t.csv"
    root = make_project({
        "models/a.sql": "select 1 as x",
        "tests/data/evil.sql": f"select 1) as q; copy (select 1) to '{target.as_posix()}'; select * from (select 1",
    })
    with pytest.raises(SandboxError):
        build(root)
    assert not target.exists()


@pytest.mark.parametrize("hook", [
    "attach '{outside}/m.duckdb' as m",
    "copy (select 1) to '{outside}/hook.csv'",
    "set enable_external_access = true",
    "install httpfs",
    "select 1; drop table main.other",
])
def test_a_post_hook_cannot_leave_the_project(make_project, tmp_path, hook):
    outside = outside_file(tmp_path).parent.as_posix()
    root = make_project({
        "models/other.sql": TABLE + "select 1 as x",
        "models/a.sql": TABLE + "{{ config(post_hook=\"" + hook.format(outside=outside) + "\") }}select 1 as x",
    })
    with pytest.raises(SandboxError) as info:
        build(root)
    assert str(info.value.path) == "models/a.sql" and "post_hook" in info.value.message
    assert sorted(p.name for p in (tmp_path / "outside").iterdir()) == ["secret.csv"]


def test_a_post_hook_passes_the_table_check_of_models(make_project):
    root = make_project({
        "models/leaderboard.sql": TABLE + "select 1 as x",
        "models/a.sql": TABLE + "{{ config(post_hook='drop table main.leaderboard') }}select 1 as x",
    })
    with pytest.raises(GraphError) as info:
        build(root)
    assert "leaderboard" in info.value.message and str(info.value.path) == "models/a.sql"
    assert "post_hook" in info.value.message


def test_a_post_hook_may_change_its_own_table(make_project):
    root = make_project({
        "models/a.sql": TABLE + "{{ config(post_hook='delete from ' ~ this ~ ' where x = 2') }}"
                        "select range as x from range(3)",
    })
    project, result = build(root)
    assert result.success
    assert project.query("select x from a order by x").rows == [(0,), (1,)]


def test_sql_cannot_unlock_the_configuration(make_project):
    root = make_project({"models/a.sql": TABLE + "select 1 as x"})
    project, result = build(root)
    assert result.success
    from evalhouse.targets.duckdb.warehouse import Warehouse

    with Warehouse(project.warehouse_path, project.config.duckdb, allowed=project.sandbox_paths()) as warehouse:
        with pytest.raises(duckdb.Error, match="locked"):
            warehouse.cursor().execute("set enable_external_access = true")
        with pytest.raises(duckdb.PermissionException):
            warehouse.cursor().execute("select * from read_csv('/etc/passwd')")


# -- query and show ------------------------------------------------------------------------
def _queries(outside: str, other: str, warehouse: str) -> list[str]:
    return [
        f"attach '{other}' as m (read_write)",
        "detach warehouse",
        "use memory",
        f"attach '{other}' as m (read_write); use m; detach warehouse; "
        f"attach '{warehouse}' as w (read_write); drop table w.main.metrics",
        f"copy (select 1) to '{outside}/q.csv'",
        f"export database '{outside}/dump'",
        "install httpfs",
        "load httpfs",
        "set enable_external_access = true",
        "pragma threads = 1",
        "drop table metrics",
        f"select * from read_csv('{outside}/secret.csv')",
    ]


@pytest.mark.parametrize("index", range(12))
def test_query_cannot_change_or_leave_anything(make_project, tmp_path, index):
    outside = outside_file(tmp_path).parent
    root = make_project({"models/metrics.sql": TABLE + "select 1 as x"})
    project, result = build(root)
    assert result.success
    other = root / "other.duckdb"
    duckdb.connect(str(other)).close()
    sql = _queries(outside.as_posix(), other.as_posix(), project.warehouse_path.as_posix())[index]
    with pytest.raises((SandboxError, SqlError)) as info:
        project.query(sql)
    # refused before it runs, or (reading a file outside) by the connection's allow-list
    assert isinstance(info.value, SandboxError) or "Permission" in info.value.message
    assert tables(project) == [("metrics",)]
    assert project.query("select x from metrics").rows == [(1,)]
    assert sorted(p.name for p in outside.iterdir()) == ["secret.csv"]


def test_query_reads_every_read_form(make_project):
    root = make_project({"models/metrics.sql": TABLE + "select 1 as x, 'a' as k"})
    project, _ = build(root)
    for sql in ["select * from metrics", "with a as (select 1) select * from a", "from metrics", "values (1)",
                "describe metrics", "show tables", "summarize metrics", "explain select 1",
                "pivot metrics on k using sum(x)", "select normal_sf(0)"]:
        assert project.query(sql).columns, sql


def test_show_inline_refuses_writes(make_project, tmp_path):
    root = make_project({"models/metrics.sql": TABLE + "select 1 as x"})
    project, _ = build(root)
    with pytest.raises(SandboxError):
        project.show(inline=f"select 1) as q; copy (select 1) to '{tmp_path.as_posix()}/s.csv'; select * from (select 1")
    assert not (tmp_path / "s.csv").exists()
    assert project.show(inline="select * from {{ ref('metrics') }}").rows == [(1,)]


def test_cli_exit_code_two_for_a_refused_query(make_project):
    from click.testing import CliRunner

    from evalhouse.cli import main

    root = make_project({"models/metrics.sql": TABLE + "select 1 as x"})
    build(root)
    result = CliRunner().invoke(main, ["query", "--project-dir", str(root), "install httpfs"])
    assert result.exit_code == 2 and "refused" in result.output


# -- what must keep working ----------------------------------------------------------------
def test_a_declared_extra_folder_can_be_read(make_project, tmp_path):
    secret = outside_file(tmp_path)
    relative = Path("..") / secret.parent.name
    model = {"models/extra.sql": TABLE + f"select * from read_csv('{secret.as_posix()}')"}
    _, result = build(make_project(model))
    assert not result.success
    project, result = build(make_project(model, project_yml=f"name: tiny\nduckdb:\n  allowed_paths: ['{relative.as_posix()}']\n"))
    assert result.success
    assert project.query("select * from extra").rows == [(1, 2)]


def test_evaluation_inputs_outside_the_project_are_read(tiny_template, tmp_path):
    import pandas as pd
    from evaluation_project import build_with_files

    root = tmp_path / "tiny"
    shutil.copytree(tiny_template, root)
    recs = pd.DataFrame({"candidate": ["m"] * 2, "user_id": [1, 1], "item_id": [1, 2], "rank": [1, 2]})
    labels = pd.DataFrame({"user_id": [1], "item_id": [1], "relevance": [1.0]})
    project, result = build_with_files(root, recs, labels, "csv", [2], 1.0)
    assert result.success
    # move the inputs out of the project folder: declared, they are still readable
    outside = tmp_path / "inputs_elsewhere"
    shutil.move(str(root / "inputs"), outside)
    config = (root / "project.yml").read_text(encoding="utf-8").replace("inputs/", f"{outside.as_posix()}/")
    (root / "project.yml").write_text(config, encoding="utf-8")
    project = Project.load(root)
    result = project.build(RunOptions(report=False, mlflow=False))
    assert result.success, [r.message for r in result.results if r.status == "error"]
    assert project.query("select count(*) from metrics").rows[0][0] > 0


@pytest.mark.parametrize("hook", [
    "insert into main.other select 2",
    "delete from other",
    "create table made_by_a_hook as select 1 as x",
])
def test_a_post_hook_may_change_only_its_own_table(make_project, hook):
    """A failed build puts back what it replaced; a hook changing another model's table
    would change it behind the journal's back (and race the models that read it)."""
    root = make_project({
        "models/other.sql": TABLE + "select 1 as x",
        "models/a.sql": TABLE + "{{ config(post_hook=\"" + hook + "\") }}select * from {{ ref('other') }}",
    })
    with pytest.raises(SandboxError) as info:
        build(root)
    assert "post_hook of model a is refused: it changes" in info.value.message
    assert "{{ this }}" in info.value.hint and str(info.value.path) == "models/a.sql"
