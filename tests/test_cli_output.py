"""What a new user sees: wide results that stay readable, DuckDB's own hints, who holds the
warehouse lock, JSON log levels, counts that agree, --vars typos, and a metric model
missing a column its union needs."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from evalhouse.cli import main
from evalhouse.cli.table_layout import layout, table_width

WIDE = ", ".join(f"{i} * 0.5::double as metric_{i:03d}_at_10" for i in range(60))
FILES = {
    "seeds/raw.csv": "id,amount\n1,10\n2,20\n",
    "models/stg.sql": "select id, amount from {{ ref('raw') }}",
    "models/wide.sql": "{{ config(materialized='table') }}"
                       f"select c as candidate, {WIDE} from (values ('popular'), ('random')) as t(c)",
    "models/schema.yml": "models:\n  - name: stg\n    columns:\n      - name: id\n        data_tests: [unique]\n",
}


@pytest.fixture
def project(make_project):
    return make_project(FILES)


def invoke(*args, width=100):
    return CliRunner(env={"COLUMNS": str(width)}).invoke(main, [str(a) for a in args], catch_exceptions=False)


# -- wide results ----------------------------------------------------------------------


def test_a_table_that_fits_prints_as_it_is():
    shown = layout(["a", "b"], [(1, "x"), (None, 2.5)], 80, "more")
    assert shown.columns == ["a", "b"] and shown.rows == [["1", "x"], ["", "2.5000"]] and shown.note is None


def test_a_wide_table_with_few_rows_is_turned():
    columns = ["candidate"] + [f"metric_{i}" for i in range(125)]
    rows = [("popular", *range(125)), ("random", *range(125))]
    shown = layout(columns, rows, 100, "more")
    assert shown.columns == ["candidate", "popular", "random"]
    assert shown.rows[0] == ["metric_0", "0", "0"] and len(shown.rows) == 125
    assert "turned" in shown.note and table_width(shown.columns, shown.rows) <= 100


def test_a_wide_table_with_many_rows_is_cut_to_the_columns_that_fit():
    columns = [f"column_number_{i}" for i in range(125)]
    rows = [tuple(range(125))] * 30
    shown = layout(columns, rows, 100, "see them with --format csv")
    kept = len(shown.columns)
    assert 1 <= kept < 125 and table_width(shown.columns, shown.rows) <= 100
    assert all(len(row) == kept for row in shown.rows)
    assert shown.note.startswith(f"{125 - kept} of 125 columns left out")
    assert f"from 'column_number_{kept}' on" in shown.note and shown.note.endswith("see them with --format csv")


def test_query_of_a_wide_table_prints_readable_cells(project):
    assert invoke("build", "--project-dir", project, "-q").exit_code == 0
    turned = invoke("query", "select * from wide order by candidate", "--project-dir", project)
    assert turned.exit_code == 0, turned.output
    lines = turned.output.splitlines()
    assert all(len(line) <= 100 for line in lines)
    assert any("candidate" in line and "popular" in line and "random" in line for line in lines)
    assert any("metric_059_at_10" in line and "29.5" in line for line in lines)
    assert "turned to fit" in turned.output
    many = invoke("query", "select * from wide, range(30)", "--project-dir", project)
    assert "metric_000_at_10" in many.output and "metric_059_at_10" not in many.output
    assert "columns left out to fit 100 characters" in many.output
    assert "--format csv or --format json, or select fewer columns" in many.output


def test_show_cuts_too_and_has_every_column_as_csv(project):
    invoke("build", "--project-dir", project, "-q")
    shown = invoke("show", "--inline", "select * from {{ ref('wide') }}, range(30)", "--limit", "40",
                   "--project-dir", project)
    assert "columns left out" in shown.output and "--format csv" in shown.output
    csv_out = invoke("show", "wide", "--format", "csv", "--project-dir", project)
    assert csv_out.output.splitlines()[0].count(",") == 60
    assert json.loads(invoke("show", "wide", "--format", "json", "--project-dir", project).output)[0]["metric_059_at_10"] == 29.5


def test_the_leaderboard_after_a_build_prints_turned(make_project):
    root = make_project(FILES, project_yml="name: tiny\nevaluation:\n  show_after_build: wide\n")
    result = invoke("build", "--project-dir", root)
    assert result.exit_code == 0, result.output
    assert any("metric_000_at_10" in line and "0.0000" in line for line in result.output.splitlines())
    assert all(len(line) <= 100 for line in result.output.splitlines())


# -- DuckDB's hints ----------------------------------------------------------------------


def test_query_keeps_duckdbs_whole_message(project):
    invoke("build", "--project-dir", project, "-q")
    missing = invoke("query", "select * from wid", "--project-dir", project)
    assert missing.exit_code == 1
    assert 'Did you mean "wide"' in missing.output and "LINE 1: select * from wid" in missing.output
    assert "hint: check table names with 'evalhouse ls'" in missing.output
    column = invoke("query", "select amont from stg", "--project-dir", project)
    assert "Candidate bindings:" in column.output and '"amount"' in column.output
    shown = invoke("show", "--inline", "select amont from {{ ref('stg') }}", "--project-dir", project)
    assert shown.exit_code == 1 and "Candidate bindings:" in shown.output


# -- who holds the lock ----------------------------------------------------------------------


def test_the_lock_message_tells_a_reader_from_a_writer(tmp_path):
    from evalhouse.targets.duckdb.warehouse import _lock_error

    path = tmp_path / "warehouse.duckdb"
    reader = (f'IO Error: Could not set lock on file "{path}": Conflicting lock is held in /usr/bin/python3 '
              f"(PID {os.getpid()}). However, you would be able to open this database in read-only mode, e.g. "
              "by using the -readonly parameter in the CLI.")
    error = _lock_error(path, reader, read_only=False)
    assert f"process {os.getpid()} (" in error.message and "holds a read-only lock" in error.message
    assert "pytest" in error.message or "python" in error.message  # its command line, from /proc
    assert "close that reader's connection" in error.hint
    writer = _lock_error(path, 'Conflicting lock is held in /usr/bin/python3 (PID 999999999).', read_only=False)
    assert writer.message.startswith("another build is writing the warehouse: process 999999999 (/usr/bin/python3)")
    assert "cannot be read" in _lock_error(path, "lock (PID 999999999)", read_only=True).message


def test_a_build_names_the_notebook_that_holds_the_warehouse_open(project):
    invoke("build", "--project-dir", project, "-q")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); "
                               "print('open', flush=True); time.sleep(60)", str(project / "target/warehouse.duckdb")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        result = invoke("build", "--project-dir", project)
        assert result.exit_code == 2
        assert f"process {holder.pid} ({sys.executable} -c import duckdb" in result.output
        assert "holds a read-only lock on warehouse.duckdb" in result.output
        assert "another build" not in result.output
    finally:
        holder.kill()
        holder.wait()


# -- JSON log levels -------------------------------------------------------------------------


def test_json_log_level_follows_the_status(project):
    (project / "seeds/raw.csv").write_text("id,amount\n1,10\n1,20\n")
    (project / "models/after.sql").write_text("select * from {{ ref('stg') }}")
    result = invoke("build", "--project-dir", project, "--log-format", "json")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    levels = {r["name"]: r["level"] for r in records if r.get("event") in ("done", "skip")}
    assert levels["unique_stg_id"] == "error"  # failed
    assert levels["after"] == "warning"  # skipped
    assert levels["raw"] == levels["stg"] == "info"
    assert all(r["level"] == "info" for r in records if r.get("event") == "start")
    assert [r["level"] for r in records if r.get("event") == "summary"] == ["error"]


# -- debug and ls agree --------------------------------------------------------------------


def test_debug_counts_what_ls_lists(project):
    (project / "models/off.sql").write_text("{{ config(enabled=false) }} select 1 as x")
    (project / "models/inlined.sql").write_text("{{ config(materialized='ephemeral') }} select 1 as x")
    (project / "tests/data").mkdir(parents=True)
    (project / "tests/data/no_negative.sql").write_text("select * from {{ ref('stg') }} where amount < 0")
    listed = {kind: len(invoke("ls", "--project-dir", project, "--resource-type", kind).output.split())
              for kind in ("model", "test", "seed")}
    assert listed == {"model": 3, "test": 2, "seed": 1}  # stg, wide, inlined; off is disabled
    debug = invoke("debug", "--project-dir", project)
    line = next(line for line in debug.output.splitlines() if " nodes: " in line)
    assert "3 models (1 ephemeral: inlined, never built)" in line
    assert "2 tests (1 in test files, 1 declared in YAML)" in line and "1 seeds" in line
    assert "1 disabled, not counted" in line and "as 'evalhouse ls' lists them" in line


# -- --vars keys nothing reads --------------------------------------------------------------


def test_a_mistyped_vars_key_warns_and_suggests(make_project, tmp_path):
    root = make_project({**FILES, "models/uses.sql": "select {{ var('undeclared_but_read', 1) }} as x, "
                                                     "{{ var('threshold') }} as t"})
    result = invoke("ls", "--project-dir", root, "--vars", "{treshold: 3, undeclared_but_read: 2}")
    assert result.exit_code == 0
    assert "warning: --vars sets 'treshold'" in result.stderr and "did you mean 'threshold'?" in result.stderr
    assert "undeclared_but_read" not in result.stderr  # read by a model: no warning
    assert "wide" in result.stdout  # a warning, not an error
    vars_file = tmp_path / "vars.yml"
    vars_file.write_text("nothing_like_it: 1\n")
    from_file = invoke("compile", "--project-dir", root, "--vars-file", vars_file)
    assert from_file.exit_code == 0 and f"--vars-file {vars_file} sets 'nothing_like_it'" in from_file.stderr
    assert "declare it under 'vars:' in project.yml" in from_file.stderr
    debug = invoke("debug", "--project-dir", root, "--vars", "{treshold: 3}")
    assert debug.exit_code == 0 and "vars: warning: --vars sets 'treshold'" in debug.output
    # declared in project.yml, or read by evalhouse itself (baseline): no warning
    quiet = invoke("ls", "--project-dir", root, "--vars", "{threshold: 3, baseline: popular}")
    assert "warning" not in quiet.output


def test_a_var_read_under_a_name_built_at_render_time_counts_as_read(make_project):
    root = make_project({"models/m.sql": "{% set p = 'pre' %}select {{ var(p ~ 'fix_x', 0) }} as x"})
    result = invoke("ls", "--project-dir", root, "--vars", "{prefix_x: 1}", "--log-format", "json")
    assert result.exit_code == 0 and "warning" not in result.output
    typo = invoke("ls", "--project-dir", root, "--vars", "{prefix_y: 1}", "--log-format", "json")
    record = json.loads(typo.output.splitlines()[0])
    assert record["level"] == "warning" and "did you mean 'prefix_x'?" in record["message"]


# -- a union's columns ---------------------------------------------------------------------

UNION_FILES = {
    "models/ranking/ndcg.sql": "{{ config(tags=['user_metric']) }}\n"
                               "select 'a' as candidate, 1 as user_id, 'ndcg' as metric, 10 as k, 0.5 as value",
    "models/ranking/recall.sql": "{{ config(tags=['user_metric']) }}\n"
                                 "select 'a' as candidate, 1 as user_id, 'recall' as metric, 10 as k,\n"
                                 "  0.25 as val",
    "models/user_metrics.sql": "{% set ms = models_tagged('user_metric', columns=['candidate', 'user_id', 'metric', "
                               "'k', 'value']) %}{% for m in ms %}select candidate, user_id, metric, k, value "
                               "from {{ ref(m) }}{% if not loop.last %} union all {% endif %}{% endfor %}",
}


def test_a_metric_model_missing_a_union_column_is_named_at_compile(make_project):
    root = make_project(UNION_FILES)
    result = invoke("compile", "--project-dir", root)
    assert result.exit_code == 1
    assert "models/ranking/recall.sql:3: model recall has no column 'value'" in result.output
    assert "user_metrics unions the models tagged 'user_metric'" in result.output
    assert "hint: rename 'val' to 'value' (... as value)" in result.output


def test_in_a_build_the_metric_model_fails_and_the_union_is_skipped(make_project):
    root = make_project(UNION_FILES)
    result = invoke("build", "--project-dir", root)
    assert result.exit_code == 1
    assert "ERROR view recall" in result.output and "models/ranking/recall.sql:3" in result.output
    assert "OK view ndcg" in result.output and "SKIP view user_metrics" in result.output


def test_the_demo_names_the_metric_file_with_as_val(tmp_path):
    from evalhouse.api.scaffold import init_project

    init_project(tmp_path)
    path = tmp_path / "models/metrics/ranking/precision_at_k.sql"
    text = path.read_text()
    assert " as value" in text
    path.write_text(text.replace(" as value", " as val"))
    result = invoke("compile", "--project-dir", tmp_path)
    assert result.exit_code == 1
    assert "models/metrics/ranking/precision_at_k.sql" in result.output and "no column 'value'" in result.output


def test_models_tagged_columns_must_be_a_list(make_project):
    root = make_project({"models/u.sql": "{{ models_tagged('x', columns='value') }} select 1 as a"})
    result = invoke("compile", "--project-dir", root)
    assert result.exit_code == 2 and "takes a list of column names" in result.output


def test_a_union_whose_models_return_every_column_compiles(make_project):
    files = dict(UNION_FILES)
    files["models/ranking/recall.sql"] = files["models/ranking/recall.sql"].replace(" as val", " as value")
    assert invoke("compile", "--project-dir", make_project(files)).exit_code == 0
