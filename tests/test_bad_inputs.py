"""The bad-input suite: each case breaks a built project one way, and must get the exact
exit code, a message that names the file/line/key and the fix, and leave every table the
previous build wrote unchanged."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from conftest import write_files
from evalhouse.cli import main

BASE_FILES = {
    "project.yml": "name: base\nvars:\n  factor: 2\nseeds:\n  people:\n    column_types: {id: INTEGER, age: INTEGER}\n",
    "seeds/people.csv": "id,name,age\n1,Ana,30\n2,Bo,40\n",
    "macros/util.sql": "{% macro doubled(col) %}({{ col }} * {{ var('factor') }}){% endmacro %}",
    "models/staging/stg_people.sql": "{{ config(materialized='table') }}\n"
                                     "select id, name, {{ doubled('age') }} as age2 from {{ ref('people') }}\n",
    "models/marts/summary.sql": "{{ config(materialized='table') }}\n"
                                "select count(*) as n, sum(age2) as total\nfrom {{ ref('stg_people') }}\n",
    "models/marts/schema.yml": "models:\n  - name: summary\n    columns:\n      - name: n\n"
                               "        data_tests: [not_null]\n",
}


@dataclass
class Case:
    files: dict[str, str | bytes | None] = field(default_factory=dict)  # None deletes the file
    args: tuple[str, ...] = ()
    exit_code: int = 2
    expect: tuple[str, ...] = ()
    command: str = "build"


CASES: dict[str, Case] = {
    # project.yml
    "yml_syntax": Case({"project.yml": "name: base\nvars:\n  factor: [2\n"},
                       expect=("project.yml:", "not valid YAML", "hint:")),
    "yml_unknown_key": Case({"project.yml": "name: base\nvarz:\n  factor: 2\n"},
                            expect=("project.yml:2", "unknown key 'varz'", "did you mean 'vars'?")),
    "yml_wrong_type": Case({"project.yml": "name: base\nvars:\n  factor: 2\nmlflow:\n  enabled: perhaps\n"},
                           expect=("project.yml:5", "mlflow.enabled", "fix the value's type")),
    "yml_not_a_mapping": Case({"project.yml": "- name: base\n"}, expect=("project.yml:1", "must be a mapping")),
    "yml_missing_name": Case({"project.yml": "vars:\n  factor: 2\n"}, expect=("missing required key 'name'", "add 'name:'")),
    "yml_folder_config_typo": Case({"project.yml": BASE_FILES["project.yml"] + "models:\n  marts:\n    +materialzed: table\n"},
                                   expect=("project.yml:9", "models.marts.+materialzed", "did you mean 'materialized'?")),
    "yml_seed_types_not_a_mapping": Case({"project.yml": "name: base\nseeds:\n  people:\n    column_types: [INTEGER]\n"},
                                         expect=("project.yml:4", "seeds.people.column_types")),
    "no_project_yml": Case({"project.yml": None}, expect=("no project.yml", "evalhouse init")),
    "missing_models_folder": Case({"project.yml": BASE_FILES["project.yml"] + "paths:\n  models: modelz\n"},
                                  expect=("models folder 'modelz' does not exist", "paths.models")),
    # models and templates
    "duplicate_model_names": Case({"models/marts/stg_people.sql": "select 1 as x"},
                                  expect=("models/marts/stg_people.sql", "models/staging/stg_people.sql", "rename one")),
    "jinja_syntax_error": Case({"models/marts/summary.sql": "select 1 as n\n{% if true %}\nfrom x\n"},
                               expect=("models/marts/summary.sql:2", "Jinja syntax error")),
    "undefined_macro": Case({"models/marts/summary.sql": "select\n  {{ tripled('n') }} as n\n"},
                            expect=("models/marts/summary.sql:2", "tripled", "macros/")),
    "undefined_var": Case({"models/marts/summary.sql": "select {{ var('factr') }} as n\n"},
                          expect=("models/marts/summary.sql:1", "var 'factr' is not defined", "did you mean 'factor'?")),
    "undefined_var_inside_macro": Case({"macros/util.sql": "{% macro doubled(col) %}({{ col }} * {{ var('fctor') }}){% endmacro %}"},
                                       expect=("var 'fctor' is not defined", "did you mean 'factor'?")),
    "unknown_ref": Case({"models/marts/summary.sql": "select count(*) as n from {{ ref('stg_peple') }}\n"},
                        expect=("models/marts/summary.sql:1", "'stg_peple'", "did you mean 'stg_people'?")),
    "cycle": Case({"models/staging/stg_people.sql": "select * from {{ ref('summary') }}"},
                  expect=("dependency cycle:", "model.stg_people", "model.summary", "remove one ref()")),
    "unknown_materialization": Case({"models/marts/summary.sql": "{{ config(materialized='tabel') }}select 1 as n"},
                                    expect=("models/marts/summary.sql:1", "unknown materialization 'tabel'", "did you mean 'table'?")),
    "read_without_ref": Case({"models/marts/summary.sql": "select count(*) as n from stg_people\n"},
                             expect=("models/marts/summary.sql", "reads the project's table 'stg_people' without ref()",
                                     "{{ ref('stg_people') }}")),
    "model_not_utf8": Case({"models/marts/summary.sql": "select 'caf\xe9' as n".encode("latin-1")},
                           expect=("models/marts/summary.sql", "not UTF-8", "save it as UTF-8")),
    "sandbox_escape": Case({"models/marts/summary.sql": "select 1 as n\n{{ ''.__class__.__mro__[1].__subclasses__() }}\n"},
                           expect=("models/marts/summary.sql:2", "sandbox")),
    # SQL
    "sql_syntax_error": Case({"models/marts/summary.sql": "{{ config(materialized='table') }}\nselect count(*) as n\nfrom from\n"},
                             exit_code=1, expect=("models/marts/summary.sql:3", "syntax error", "target/compiled/models/marts/summary.sql")),
    "sql_division_by_zero": Case({"models/marts/summary.sql": "{{ config(materialized='table') }}\nselect count(*) // 0 as n\n"
                                                              "from {{ ref('stg_people') }}\n"},
                                 exit_code=1, expect=("model summary failed", "Division by zero", "target/compiled/models/marts/summary.sql")),
    "sql_type_mismatch": Case({"models/marts/summary.sql": "{{ config(materialized='table') }}\nselect name + 1 as n\n"
                                                           "from {{ ref('stg_people') }}\n"},
                              exit_code=1, expect=("model summary failed", "Binder Error", "compiled SQL")),
    "sql_unknown_column": Case({"models/marts/summary.sql": "{{ config(materialized='table') }}\nselect\n  nope as n\n"
                                                            "from {{ ref('stg_people') }}\n"},
                               exit_code=1, expect=("models/marts/summary.sql:3", "nope", "compiled SQL")),
    # seeds
    "seed_ragged_rows": Case({"seeds/people.csv": "id,name,age\n1,Ana,30\n2,Bo,40,extra\n"},
                             exit_code=1, expect=("seeds/people.csv:3", "4 fields where the header has 3")),
    "seed_bad_encoding": Case({"seeds/people.csv": "id,name,age\n1,Ana,30\n2,Jos\xe9,40\n".encode("latin-1")},
                              exit_code=1, expect=("seeds/people.csv", "utf-8")),
    "seed_wrong_type": Case({"seeds/people.csv": "id,name,age\n1,Ana,30\n2,Bo,forty\n"},
                            exit_code=1, expect=("seeds/people.csv:3", "forty", "column types")),
    "seed_empty": Case({"seeds/people.csv": ""}, exit_code=1, expect=("seeds/people.csv:1", "empty file")),
    "seed_types_for_missing_column": Case({"project.yml": "name: base\nvars:\n  factor: 2\nseeds:\n  people:\n"
                                                          "    column_types: {idd: INTEGER}\n"},
                                          exit_code=1, expect=("seeds/people.csv", "idd")),
    "seed_config_for_missing_seed": Case({"project.yml": BASE_FILES["project.yml"] + "  persons:\n    header: true\n"},
                                         expect=("seeds.persons", "does not exist")),
    # data tests and properties
    "unknown_generic_test": Case({"models/marts/schema.yml": "models:\n  - name: summary\n    columns:\n      - name: n\n"
                                                             "        data_tests: [not_nul]\n"},
                                 expect=("models/marts/schema.yml:5", "unknown data test 'not_nul'", "did you mean 'not_null'?")),
    "test_on_unknown_model": Case({"models/marts/schema.yml": "models:\n  - name: sumary\n    data_tests: [{expression_is_true: {expression: 'n > 0'}}]\n"},
                                  expect=("models/marts/schema.yml:3", "'sumary', which is no model or seed")),
    "properties_unknown_key": Case({"models/marts/schema.yml": "models:\n  - name: summary\n    colums: []\n"},
                                   expect=("models/marts/schema.yml:3", "unknown key 'colums'", "did you mean 'columns'?")),
    "bad_severity": Case({"models/marts/schema.yml": "models:\n  - name: summary\n    columns:\n      - name: n\n"
                                                     "        data_tests: [{not_null: {config: {severity: fatal}}}]\n"},
                         expect=("models/marts/schema.yml:5", "severity must be 'error' or 'warn'")),
    "unknown_source": Case({"models/marts/summary.sql": "select * from {{ source('raw', 'people') }}"},
                           expect=("models/marts/summary.sql:1", "unknown source 'raw.people'", "sources:")),
    # command line
    "vars_not_yaml": Case(args=("--vars", "{factor: [2"), expect=("--vars", "not valid YAML")),
    "vars_not_a_mapping": Case(args=("--vars", "[1, 2]"), expect=("--vars must be a mapping",)),
    "selector_matches_nothing": Case(args=("-s", "summmary"), expect=("matches no node", "did you mean 'summary'?")),
    "selector_unknown_method": Case(args=("-s", "tags:nightly"), expect=("unknown selector method 'tags'", "did you mean 'tag'?")),
    "threads_zero": Case(args=("--threads", "0"), expect=("--threads", "0")),
}


@pytest.fixture(scope="module")
def built_base(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("base") / "project"
    root.mkdir()
    write_files(root, BASE_FILES)
    result = CliRunner().invoke(main, ["build", "--project-dir", str(root), "-q"])
    assert result.exit_code == 0, result.output
    return root


def snapshot(warehouse: Path) -> dict[str, list]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = [r[0] for r in con.execute("select table_name from information_schema.tables order by 1").fetchall()]
        return {t: con.execute(f'select * from "{t}" order by all').fetchall() for t in tables}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_bad_input(built_base, tmp_path, case):
    root = tmp_path / "project"
    shutil.copytree(built_base, root)
    before = snapshot(root / "target/warehouse.duckdb")
    for relative, content in case.files.items():
        path = root / relative
        if content is None:
            path.unlink()
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(main, [case.command, "--project-dir", str(root), *case.args])
    output = result.output
    assert result.exit_code == case.exit_code, output
    for fragment in case.expect:
        assert fragment in output, f"{fragment!r} not in:\n{output}"
    assert "Traceback" not in output and "internal error" not in output
    assert snapshot(root / "target/warehouse.duckdb") == before


def test_the_suite_has_at_least_forty_cases():
    assert len(CASES) >= 40
