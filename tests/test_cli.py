"""The CLI through click's runner: output, exit codes, formats."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from evalhouse.cli import main

FILES = {
    "seeds/raw.csv": "id,amount\n1,10\n2,20\n",
    "models/stg.sql": "select id, amount from {{ ref('raw') }}",
    "models/totals.sql": "{{ config(materialized='table', tags=['metric']) }}"
                         "select sum(amount) as total, {{ var('threshold') }} as t from {{ ref('stg') }}",
    "models/schema.yml": "models:\n  - name: stg\n    columns:\n      - name: id\n        data_tests: [unique, not_null]\n",
}


@pytest.fixture
def project(make_project):
    return make_project(FILES)


def invoke(*args, **kwargs):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False, **kwargs)


def test_build_prints_progress_and_a_summary(project):
    result = invoke("build", "--project-dir", project)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("1 of 5 OK seed raw ... [") and "2 rows" in line for line in lines)
    assert any("OK table totals ... [" in line and "1 rows" in line for line in lines)
    assert "PASS test unique_stg_id" in result.output
    assert lines[-1].startswith("Done in ") and "3 ok, 2 passed" in lines[-1]


def test_quiet_build_prints_only_the_summary(project):
    result = invoke("build", "--project-dir", project, "-q")
    assert result.exit_code == 0
    assert result.output.strip().startswith("Done in")


def test_json_log_format_is_one_object_per_line(project):
    result = invoke("build", "--project-dir", project, "--log-format", "json")
    records = [json.loads(line) for line in result.output.splitlines()]
    done = [r for r in records if r.get("event") == "done"]
    assert {r["name"] for r in done} == {"raw", "stg", "totals", "unique_stg_id", "not_null_stg_id"}
    assert records[-1]["event"] == "summary" and records[-1]["success"] is True


def test_vars_as_yaml_and_file(project, tmp_path):
    invoke("build", "--project-dir", project, "--vars", "{threshold: 9}")
    out = invoke("query", "--project-dir", project, "select t from totals", "--format", "csv")
    assert out.output == "t\n9\n"
    vars_file = tmp_path / "vars.yml"
    vars_file.write_text("threshold: 11\n")
    invoke("run", "--project-dir", project, "--vars-file", vars_file, "-s", "totals")
    assert invoke("query", "--project-dir", project, "select t from totals", "--format", "json").output.strip() == '[{"t": 11}]'


def test_vars_that_are_not_yaml_exit_2(project):
    result = CliRunner().invoke(main, ["run", "--project-dir", str(project), "--vars", "{threshold: [1"])
    assert result.exit_code == 2
    assert "--vars is not valid YAML" in result.output


def test_a_failing_test_exits_1(project):
    (project / "seeds/raw.csv").write_text("id,amount\n1,10\n1,20\n")
    result = CliRunner().invoke(main, ["build", "--project-dir", str(project)])
    assert result.exit_code == 1
    assert "FAIL test unique_stg_id" in result.output and "1 failing row" in result.output
    assert "SKIP table totals" in result.output


def test_a_project_error_exits_2_with_file_and_line(project):
    (project / "models/broken.sql").write_text("select 1\n{% if %}\n")
    result = CliRunner().invoke(main, ["run", "--project-dir", str(project)])
    assert result.exit_code == 2
    assert "models/broken.sql:2: Jinja syntax error" in result.output


def test_selector_that_matches_nothing_exits_2(project):
    result = CliRunner().invoke(main, ["run", "--project-dir", str(project), "-s", "nothing_here"])
    assert result.exit_code == 2
    assert "matches no node" in result.output


def test_ls_outputs(project):
    assert invoke("ls", "--project-dir", project).output.split() == [
        "raw", "stg", "totals", "not_null_stg_id", "unique_stg_id"]
    assert invoke("ls", "--project-dir", project, "-s", "tag:metric", "--output", "path").output.strip() == "models/totals.sql"
    records = [json.loads(x) for x in invoke("ls", "--project-dir", project, "--output", "json",
                                              "--resource-type", "model").output.splitlines()]
    assert [(r["name"], r["materialized"]) for r in records] == [("stg", "view"), ("totals", "table")]


def test_compile_writes_sql(project):
    result = invoke("compile", "--project-dir", project)
    assert result.exit_code == 0
    assert (project / "target/compiled/models/stg.sql").read_text().strip() == 'select id, amount from "main"."raw"'


def test_show_and_query_formats(project):
    invoke("build", "--project-dir", project, "-q")
    shown = invoke("show", "stg", "--project-dir", project, "--limit", "1")
    assert "id" in shown.output and "amount" in shown.output and "10" in shown.output
    inline = invoke("show", "--inline", "select count(*) as n from {{ ref('stg') }}", "--project-dir", project)
    assert "2" in inline.output
    csv_out = invoke("query", "select id, amount from stg order by id", "--project-dir", project, "--format", "csv")
    assert csv_out.output == "id,amount\n1,10\n2,20\n"


def test_show_unknown_model_suggests(project):
    invoke("build", "--project-dir", project, "-q")
    result = CliRunner().invoke(main, ["show", "stgg", "--project-dir", str(project)])
    assert result.exit_code == 2 and "did you mean 'stg'?" in result.output


def test_lineage_command(project):
    invoke("build", "--project-dir", project, "-q")
    result = invoke("lineage", "totals.total", "--project-dir", project)
    assert "upstream:   raw, stg" in result.output
    assert "raw.amount" in result.output


def test_debug_and_clean(project):
    assert invoke("debug", "--project-dir", project).exit_code == 0
    invoke("build", "--project-dir", project, "-q")
    cleaned = invoke("clean", "--project-dir", project)
    assert "removed target/compiled" in cleaned.output
    assert (project / "target/warehouse.duckdb").exists()


def test_init_refuses_to_overwrite(tmp_path):
    (tmp_path / "project.yml").write_text("name: x\n")
    result = CliRunner().invoke(main, ["init", str(tmp_path)])
    assert result.exit_code == 2 and "already holds a project.yml" in result.output


def test_help_does_not_import_heavy_modules():
    code = ("import sys; from evalhouse.cli import main; "
            "print(sorted(m for m in ('duckdb', 'sqlglot', 'mlflow', 'pydantic', 'jinja2') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _evalhouse(*args):
    """`evalhouse ARGS` in a new process that imports the evalhouse this test imports."""
    import os
    from pathlib import Path

    import evalhouse

    env = {**os.environ, "PYTHONPATH": str(Path(evalhouse.__file__).parent.parent)}
    return subprocess.Popen([sys.executable, "-m", "evalhouse.cli", *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_a_closed_stdout_ends_the_command_quietly(project):
    """`evalhouse build | head -3`: the reader has gone, so no message and 141 (128 + SIGPIPE)."""
    process = _evalhouse("build", "--project-dir", project)
    process.stdout.close()  # before the first line is written: that write breaks the pipe
    errors = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141
    assert errors == ""


@pytest.mark.parametrize(("name", "code"), [("SIGTERM", 143), ("SIGHUP", 129)])
def test_termination_signals_print_one_line_and_exit_128_plus_the_signal(project, monkeypatch, name, code):
    import os
    import signal
    import time

    signum = getattr(signal, name)
    before = signal.getsignal(signum)

    def stopped_while_loading(*args, **kwargs):
        os.kill(os.getpid(), signum)
        time.sleep(10)  # the handler runs here
        raise AssertionError("the signal was not handled")

    monkeypatch.setattr("evalhouse.cli.load_project", stopped_while_loading)
    result = CliRunner().invoke(main, ["ls", "--project-dir", str(project)])
    assert result.exit_code == code, result.output
    assert result.output.strip() == f"terminated ({name}); no table was changed"
    assert signal.getsignal(signum) is before  # the command puts the previous handler back
    monkeypatch.undo()
    assert invoke("ls", "--project-dir", project).exit_code == 0  # the next command is not "terminated"


def test_sigterm_during_a_duckdb_query_is_reported_as_the_signal(project, monkeypatch):
    """DuckDB runs the handler while a query runs and then raises its own 'Query interrupted'
    (a RuntimeError, once an 'internal error'): the signal decides the message."""
    import os
    import signal
    import threading

    import duckdb

    def query_while_stopped(*args, **kwargs):
        timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGTERM))
        timer.start()
        try:
            duckdb.connect().execute("select count(*) from range(3000000000)").fetchall()
            threading.Event().wait(10)  # when the query ended first, the handler runs here
        finally:
            timer.cancel()
        raise AssertionError("the signal was not handled")

    monkeypatch.setattr("evalhouse.cli.load_project", query_while_stopped)
    result = CliRunner().invoke(main, ["ls", "--project-dir", str(project)])
    assert result.exit_code == 143, result.output
    assert result.output.startswith("terminated (SIGTERM)") and "internal error" not in result.output
