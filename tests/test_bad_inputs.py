"""The bad-input suite: each case breaks a built project one way, and must get the exact
exit code, a message that names the file/line/key and the fix, and leave every table the
previous build wrote unchanged.

Two built projects are broken: a small engine project (project.yml, models, seeds, tests)
and the evaluation project (the demo with tiny seeds, one candidate file and a labels file)
for the evaluation inputs: recs, labels and the K values."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from conftest import write_files
from evaluation_project import write_project_yml
from oracles.compare import assert_rows_close
from warehouse_reader import read_warehouse, relation_names

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
    base: str = "engine"  # or "evaluation": which built project the case breaks
    replace: tuple[str, str, str] | None = None  # (file, old, new): one edit of a file's text


BIG_SORT = ("{{ config(materialized='table') }}\n"
            "select i as n, md5(i::varchar) as s from range(2000000) as r(i) order by s\n")
# the evaluation project's inputs (written by the evaluation_base fixture)
LABELS = "user_id,item_id,relevance\n1,1,5\n1,2,3\n2,3,4\n3,4,5\n"
RECS = "user_id,item_id,rank,score\n1,1,1,0.9\n1,3,2,0.5\n2,3,1,0.8\n2,4,2,0.1\n3,5,1,0.7\n3,4,2,0.6\n"
RECS_FIX = "evaluation.candidates in project.yml names it"
# the tables that record every successful build (they grow by design)
HISTORY_TABLES = {"main.metrics_history", "intermediate.recs_history", "main.stability"}


def evaluation_case(recs: str | None = None, labels: str | None = None, files: dict | None = None,
                    **kwargs) -> Case:
    inputs = {"inputs/mine.csv": recs, "inputs/labels.csv": labels}
    inputs = {k: v for k, v in inputs.items() if v is not None}
    return Case({**inputs, **(files or {})}, base="evaluation", **kwargs)


def k_values_case(value: str) -> Case:
    return Case(args=("--vars", f"{{k_values: {value}}}"), base="evaluation",
                expect=("vars.k_values must be a non-empty list of positive integers, each at most 1000", value,
                        "hint: set vars: k_values in project.yml, or pass --vars"))


def parquet_bytes(select: str) -> bytes:
    """A Parquet file of the rows of `select`, as bytes (a case's file)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "file.parquet"
        with duckdb.connect() as con:
            con.execute(f"copy ({select}) to '{path.as_posix()}' (format parquet)")
        return path.read_bytes()


def parquet_recs_case(select: str, **kwargs) -> Case:
    return evaluation_case(replace=("project.yml", "inputs/mine.csv", "inputs/mine.parquet"),
                           files={"inputs/mine.parquet": parquet_bytes(select)}, **kwargs)


# more lines than DuckDB's CSV sniffer samples (20480): the score column is typed from the
# first lines, and the word on the last line fails the reader itself
LONG_RECS = "user_id,item_id,rank,score\n" + "".join(f"{u},{i},{i},0.5\n" for u in range(1, 2101) for i in range(1, 11))


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
    # places evalhouse writes (and clean deletes): never the project, a parent or a source folder
    "target_is_the_project": Case({"project.yml": BASE_FILES["project.yml"] + "paths:\n  target: .\n"}, command="clean",
                                  expect=("project.yml:8", "paths.target", "the project folder itself", "hint:")),
    "target_is_the_parent": Case({"project.yml": BASE_FILES["project.yml"] + "paths:\n  target: ..\n"}, command="compile",
                                 expect=("project.yml:8", "paths.target", "contains the project folder")),
    "target_is_a_source_folder": Case({"project.yml": BASE_FILES["project.yml"] + "paths:\n  target: seeds\n"},
                                      expect=("project.yml:8", "source folder paths.seeds")),
    "warehouse_is_a_folder": Case({"project.yml": BASE_FILES["project.yml"] + "warehouse: macros\n"},
                                  expect=("project.yml:7", "warehouse:", "it is a folder, not a file")),
    "warehouse_is_a_csv_file": Case({"project.yml": BASE_FILES["project.yml"] + "warehouse: data.csv\n",
                                     "data.csv": "a,b\n1,2\n"},
                                    expect=("data.csv: the warehouse", "is not a DuckDB database file",
                                            "evalhouse left it as it is", "point 'warehouse:' in project.yml at a new file")),
    "duckdb_memory_limit_not_a_size": Case({"project.yml": BASE_FILES["project.yml"] + "duckdb:\n  memory_limit: lots\n"},
                                           expect=("project.yml:8", "duckdb.memory_limit", "must be a size such as 512MB",
                                                   "'lots'", "fix the value")),
    "duckdb_spill_size_not_a_size": Case({"project.yml": BASE_FILES["project.yml"] + "duckdb:\n  max_temp_directory_size: 1GBs\n"},
                                         expect=("project.yml:8", "duckdb.max_temp_directory_size", "such as 512MB")),
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
    # a refused statement: the line of the model file it starts on
    "sandbox_two_statements": Case({"models/marts/summary.sql": "{{ config(materialized='table') }}\nselect 1 as n;\n\n"
                                                                 "copy (select 1) to 'out.csv'\n"},
                                   expect=("models/marts/summary.sql:4", "it holds 2 SQL statements where one is allowed",
                                           "the second starts with 'copy'", "a model is one select")),
    "sandbox_refused_statement": Case({"models/marts/summary.sql": "-- summary\n\n  attach 'other.duckdb' as other\n"},
                                      expect=("models/marts/summary.sql:3", "'attach' statements (attach) are not allowed")),
    "sandbox_refused_hook": Case({"models/marts/summary.sql": "select 1 as n\n{{ config(post_hook=\"copy (select 1) to 'h.csv'\") }}\n"},
                                 expect=("models/marts/summary.sql:2", "a post_hook of model summary is refused")),
    "sandbox_data_test_leaves_its_wrapper": Case({"tests/data/evil.sql": "select 1 as n\n) as q;\ncopy (select 1) to 'x.csv';"
                                                                        " select * from (select 1\n"},
                                                 expect=("tests/data/evil.sql:3", "test evil is refused", "3 SQL statements")),
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
    # memory and spill space: a sort of 2 million rows needs more than 20MB of memory
    "out_of_memory": Case({"project.yml": BASE_FILES["project.yml"] + "duckdb: {memory_limit: 20MB, max_temp_directory_size: 1MB, threads: 1}\n",
                           "models/marts/summary.sql": BIG_SORT},
                          exit_code=1, expect=("models/marts/summary.sql", "model summary ran out of memory",
                                               "it had memory_limit 19.0 MiB, 1 threads", "max_temp_directory_size",
                                               "duckdb.memory_limit", "duckdb.temp_directory", "duckdb.max_temp_directory_size")),
    "spill_folder_unwritable": Case({"project.yml": BASE_FILES["project.yml"] + "duckdb: {memory_limit: 20MB, threads: 1,"
                                                                                " temp_directory: target/blocked/spill}\n",
                                     "target/blocked": "a file where the spill folder's parent should be",
                                     "models/marts/summary.sql": BIG_SORT},
                                    exit_code=1, expect=("models/marts/summary.sql", "model summary ran out of spill space",
                                                         "target/blocked/spill", "duckdb.temp_directory")),
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
    "query_empty": Case(command="query", args=("",), expect=("the query is empty", "write one select")),
    "query_only_a_semicolon": Case(command="query", args=(" ; ",), expect=("the query is empty", "write one select")),
    "vars_not_yaml": Case(args=("--vars", "{factor: [2"), expect=("--vars", "not valid YAML")),
    "vars_not_a_mapping": Case(args=("--vars", "[1, 2]"), expect=("--vars must be a mapping",)),
    "selector_matches_nothing": Case(args=("-s", "summmary"), expect=("matches no node", "did you mean 'summary'?")),
    "selector_unknown_method": Case(args=("-s", "tags:nightly"), expect=("unknown selector method 'tags'", "did you mean 'tag'?")),
    "threads_zero": Case(args=("--threads", "0"), expect=("--threads", "0")),
    # evaluation inputs: recs (a candidate file), labels, K values
    "recs_null_user_id": evaluation_case(RECS + ",9,3,0.2\n", exit_code=1,
                                         expect=("FAIL test not_null_recs_user_id", "'user_id': None", RECS_FIX)),
    "recs_null_item_id": evaluation_case(RECS + "4,,1,0.2\n", exit_code=1,
                                         expect=("FAIL test not_null_recs_item_id", "'item_id': None", RECS_FIX)),
    "recs_rank_zero": evaluation_case(RECS.replace("1,1,1,0.9", "1,1,0,0.9"), exit_code=1,
                                      expect=("FAIL test recs_rank_is_positive", "'rank': 0", "ranks start at 1")),
    "recs_rank_negative": evaluation_case(RECS.replace("3,5,1,0.7", "3,5,-2,0.7"), exit_code=1,
                                          expect=("FAIL test recs_rank_is_positive", "'rank': -2", "renumber")),
    "recs_rank_not_whole": evaluation_case(RECS.replace("1,3,2,0.5", "1,3,1.5,0.5"), exit_code=1,
                                           expect=("FAIL test not_null_recs_rank", "not a whole number")),
    # with var rank_ties: error (the default, break, renumbers the list: tests/test_inputs_once.py)
    "recs_rank_shared": evaluation_case(RECS.replace("1,3,2,0.5", "1,3,1,0.5"), exit_code=1,
                                        args=("--vars", "{rank_ties: error}"),
                                        expect=("FAIL test recs_rank_unique_per_list", "share a rank")),
    "recs_missing_item_id_column": evaluation_case("user_id,rank\n1,1\n", expect=(
        "project.yml:", "evaluation.candidates.mine: file 'inputs/mine.csv' has no column item_id",
        "its columns: user_id, rank", "rename the file's columns")),
    "recs_without_rank_or_score": evaluation_case("user_id,item_id\n1,1\n", expect=(
        "project.yml:", "has no column rank or score")),
    "recs_unreadable_file": evaluation_case(replace=("project.yml", "inputs/mine.csv", "inputs/mine.parquet"),
                                            files={"inputs/mine.parquet": b"PAR1 not really"},
                                            expect=("evaluation.candidates.mine", "cannot be read", "Parquet")),
    "unknown_candidate_path": evaluation_case(replace=("project.yml", "inputs/mine.csv", "inputs/mine2.csv"), expect=(
        "project.yml:", "evaluation.candidates.mine: file 'inputs/mine2.csv' does not exist", "fix the path")),
    "unknown_labels_path": evaluation_case(replace=("project.yml", "inputs/labels.csv", "inputs/label.csv"), expect=(
        "project.yml:", "evaluation.labels: file 'inputs/label.csv' does not exist")),
    # (without relevance the labels are implicit feedback: tests/test_inputs_once.py)
    "labels_missing_item_id_column": evaluation_case(labels="user_id,item,relevance\n1,1,5\n", expect=(
        "evaluation.labels: file 'inputs/labels.csv' has no column item_id", "its columns: user_id, item, relevance")),
    "labels_null_relevance": evaluation_case(labels=LABELS + "4,4,\n", exit_code=1, expect=(
        "FAIL test not_null_labels_relevance", "0 for not relevant")),
    "labels_without_relevant_rows": evaluation_case(labels="user_id,item_id,relevance\n1,1,1\n2,3,2\n", exit_code=1,
                                                    expect=("FAIL test labels_hold_a_relevant_item", "'max_relevance': 2.0",
                                                            "lower var rel_threshold")),
    "k_values_empty": k_values_case("[]"),
    "k_values_zero": k_values_case("[0, 10]"),
    "k_values_negative": k_values_case("[-5]"),
    "k_values_not_integer": k_values_case("[2.5]"),
    "k_values_not_a_list": k_values_case("ten"),
    # K has an upper bound (docs/evaluation.md#vars), in project.yml and in --vars alike
    "k_values_too_large": k_values_case("[10, 100000]"),
    "k_values_huge_in_project_yml": evaluation_case(replace=("project.yml", "k_values:\n  - 1\n  - 2", "k_values:\n  - 1000000000"),
                                                    expect=("vars.k_values", "each at most 1000", "got [1000000000]",
                                                            "docs/evaluation.md#vars")),
    # vars that are numbers: NaN and infinity are refused, naming the key
    "holdout_fraction_nan": Case(args=("--vars", "{holdout_fraction: .nan}"), base="evaluation",
                                 expect=("models/split/split_cutoff.sql", "vars.holdout_fraction must be a number between 0 and 1",
                                         "got nan", "hint: set vars: holdout_fraction in project.yml")),
    "rel_threshold_infinite": evaluation_case(replace=("project.yml", "rel_threshold: 4.0", "rel_threshold: .inf"),
                                              expect=("vars.rel_threshold must be a finite number", "got inf")),
    "beta_nan": Case(args=("--vars", "{beta: .nan}"), base="evaluation", expect=("vars.beta must be a positive finite number",)),
    "ab_alpha_nan": Case(args=("--vars", "{ab_alpha: .nan}"), base="evaluation",
                         expect=("vars.ab_alpha must be a number between 0 and 1", "got nan")),
    # values of the input files that are not numbers: the file, the key, the column and the line
    "recs_score_decimal_comma": evaluation_case(RECS.replace("1,3,2,0.5", '1,3,2,"0,5"'), exit_code=1, expect=(
        "inputs/mine.csv:3: candidate file (evaluation.candidates.mine): column score holds '0,5' on line 3, "
        "which is not a number", "write decimals with a point", "'.' as the decimal separator")),
    "recs_score_word": evaluation_case(RECS.replace("2,4,2,0.1", "2,4,2,abc").replace("3,5,1,0.7", "3,5,1,n/a"),
                                       exit_code=1, expect=(
        "inputs/mine.csv:5:", "column score holds 'abc' on line 5, which is not a number (1 more value of the column too)",
        "fix or drop that row")),
    "recs_rank_word": evaluation_case(RECS.replace("1,1,1,0.9", "1,1,first,0.9"), exit_code=1, expect=(
        "inputs/mine.csv:2:", "column rank holds 'first' on line 2", "leave the rank column out to rank by score")),
    "recs_score_word_past_the_sniffed_lines": evaluation_case(LONG_RECS + "9,9,1,abc\n", exit_code=1, expect=(
        "inputs/mine.csv:21002:", "column score holds 'abc' on line 21002, which is not a number")),
    "labels_relevance_word": evaluation_case(labels=LABELS.replace("1,2,3", "1,2,high"), exit_code=1, expect=(
        "inputs/labels.csv:3: labels file (evaluation.labels): column relevance holds 'high' on line 3",)),
    "recs_parquet_score_words": parquet_recs_case(
        "select * from (values (1, 1, 1, '0.9'), (1, 3, 2, 'high')) as t(user_id, item_id, rank, score)",
        exit_code=1, expect=("inputs/mine.parquet:", "column score holds 'high' in row 2, which is not a number")),
    "recs_parquet_score_list": parquet_recs_case(
        "select 1 as user_id, 1 as item_id, 1 as rank, [0.5::double, 0.2] as score", expect=(
            "project.yml:", "evaluation.candidates.mine: file 'inputs/mine.parquet' has column score of type DOUBLE[] (a list), "
            "which is not a number", "write score as a number column")),
    "recs_parquet_rank_struct": parquet_recs_case(
        "select 1 as user_id, 1 as item_id, {'r': 1} as rank", expect=(
            "has column rank of type STRUCT(r INTEGER) (a struct), which is not a number",)),
    # paths that are no CSV or Parquet file
    "labels_path_is_a_folder": evaluation_case(replace=("project.yml", "labels: inputs/labels.csv", "labels: inputs"), expect=(
        "project.yml:", "evaluation.labels: file 'inputs' is a folder, not a file (it holds labels.csv, mine.csv)",
        "give the path of one CSV or Parquet file")),
    "recs_path_is_a_folder": evaluation_case(replace=("project.yml", "mine: inputs/mine.csv", "mine: inputs/"), expect=(
        "evaluation.candidates.mine: file 'inputs/' is a folder, not a file",)),
    "recs_empty_file": evaluation_case("", expect=(
        "project.yml:", "evaluation.candidates.mine: file 'inputs/mine.csv' is empty (0 bytes)", "hint:")),
    "recs_json_file": evaluation_case(replace=("project.yml", "inputs/mine.csv", "inputs/mine.json"),
                                      files={"inputs/mine.json": '[{"user_id": 1, "item_id": 1, "rank": 1}]\n'},
                                      expect=("file 'inputs/mine.json' is JSON, not CSV or Parquet", "export it as a CSV")),
    # CSV lines that do not fit the header: DuckDB's reason and the line
    "recs_ragged_line": evaluation_case(RECS.replace("2,3,1,0.8", "2,3,1,0.8,7"), exit_code=1, expect=(
        "inputs/mine.csv:4: candidate file (evaluation.candidates.mine): line 4 does not fit the header: "
        "Expected Number of Columns: 4 Found: 5", "the line: 2,3,1,0.8,7", "as many values as the header")),
    "recs_not_utf8": evaluation_case(files={"inputs/mine.csv": RECS.replace("1,3,2", "1,\xe9t\xe9,2").encode("latin-1")},
                                     exit_code=1, expect=("inputs/mine.csv:", "candidate file (evaluation.candidates.mine)",
                                                          "not utf-8 encoded", "save the file as UTF-8")),
    "recs_short_line": evaluation_case(RECS.replace("3,5,1,0.7", "3,5"), exit_code=1, expect=(
        "inputs/mine.csv:6:", "Expected Number of Columns: 4 Found: 2")),
}


@pytest.fixture(scope="module")
def built_base(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("base") / "project"
    root.mkdir()
    write_files(root, BASE_FILES)
    result = CliRunner().invoke(main, ["build", "--project-dir", str(root), "-q"])
    assert result.exit_code == 0, result.output
    return root


def snapshot(warehouse: Path, tables_only: bool = False) -> dict[str, list]:
    """Every relation's rows; with tables_only, the stored tables only (a view shows its
    inputs as they are now)."""
    where = "table_type = 'BASE TABLE'" if tables_only else ""
    with read_warehouse(str(warehouse)) as con:
        return {f"{schema}.{name}": con.execute(f"select * from {relation} order by all").fetchall()
                for schema, name, relation in relation_names(con, where)}


@pytest.fixture(scope="module")
def evaluation_base(tiny_template, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("evaluation_base") / "project"
    shutil.copytree(tiny_template, root)
    write_files(root, {"inputs/labels.csv": LABELS, "inputs/mine.csv": RECS})

    def point_at_files(config: dict) -> None:
        config["evaluation"] = {"labels": "inputs/labels.csv", "candidates": {"mine": "inputs/mine.csv"},
                                "baselines": []}
        config["vars"]["k_values"] = [1, 2]

    write_project_yml(root, point_at_files)
    result = CliRunner().invoke(main, ["build", "--project-dir", str(root), "-q", "--no-mlflow"])
    assert result.exit_code == 0, result.output
    return root


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_bad_input(request, tmp_path, case):
    root = tmp_path / "project"
    shutil.copytree(request.getfixturevalue("built_base" if case.base == "engine" else "evaluation_base"), root)
    before = snapshot(root / "target/warehouse.duckdb", tables_only=case.base == "evaluation")
    if case.replace:
        relative, old, new = case.replace
        text = (root / relative).read_text(encoding="utf-8")
        assert old in text
        (root / relative).write_text(text.replace(old, new), encoding="utf-8")
    for relative, content in case.files.items():
        path = root / relative
        if content is None:
            path.unlink()
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
    extra = ("--no-mlflow",) if case.base == "evaluation" and case.command == "build" else ()
    result = CliRunner().invoke(main, [case.command, "--project-dir", str(root), *extra, *case.args])
    output = result.output
    assert result.exit_code == case.exit_code, output
    for fragment in case.expect:
        assert fragment in output, f"{fragment!r} not in:\n{output}"
    assert "Traceback" not in output and "internal error" not in output
    for relative, content in case.files.items():  # the case's inputs are read, never rewritten
        if content is not None:
            raw = (root / relative).read_bytes()
            assert raw == (content if isinstance(content, bytes) else content.encode("utf-8")), relative
    # a failed build changes nothing: every table, row for row (and no table of ours is left)
    assert snapshot(root / "target/warehouse.duckdb", tables_only=case.base == "evaluation") == before


def test_the_suite_has_at_least_forty_cases():
    assert len(CASES) >= 40
    assert sum(case.base == "evaluation" for case in CASES.values()) >= 15


def test_duplicated_recs_warn_and_keep_the_best_rank(evaluation_base, tmp_path):
    """Not an error: the copy is reported with its count and the metrics are those of the
    file without it (recs keeps each key's best rank)."""
    root = tmp_path / "project"
    shutil.copytree(evaluation_base, root)
    before = snapshot(root / "target/warehouse.duckdb")
    (root / "inputs/mine.csv").write_text(RECS + "1,1,2,0.4\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "--project-dir", str(root), "--no-mlflow"])
    assert result.exit_code == 0, result.output
    assert "WARN test recs_duplicated_rows" in result.output and "'n_rows': 2, 'best_rank': 1" in result.output
    after = snapshot(root / "target/warehouse.duckdb")

    # sums over other row orders may differ in the last bits: floats to 1e-12, relative above 1
    rebuilt = HISTORY_TABLES | {"main.recs_duplicates", "intermediate.candidate_files", "main.inputs_manifest",
                                "intermediate.candidate_file_lists"}
    assert set(after) - rebuilt == set(before) - rebuilt
    for table in sorted(set(before) - rebuilt):
        assert_rows_close(before[table], after[table], table, rtol=1e-12, atol=1e-12)
    assert after["main.recs_duplicates"] == [("mine", 1, 1, 2, 1.0, 0.9)]  # the copy, at its best rank
    # the file's list holds 3 rows, two at rank 1: checked again in recs_lists, which
    # (compared above) still has the list as it was without the copy
    assert [row for row in after["intermediate.candidate_file_lists"] if row[:2] == ("mine", 1)] == [
        ("mine", 1, 3, True, False, True)]
    assert not any(row[-1] for row in before["intermediate.candidate_file_lists"])
