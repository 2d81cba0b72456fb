"""Rendering (Jinja context, macros, errors with file and line) and the dependency graph."""

from __future__ import annotations

import pytest

from evalhouse import Project
from evalhouse.compile.graph import Graph
from evalhouse.errors import GraphError, SqlError, TemplateError


def compile_tiny(make_project, files, project_yml=None, vars=None):
    kwargs = {"project_yml": project_yml} if project_yml else {}
    root = make_project(files, **kwargs)
    project = Project.load(root, vars=vars)
    return project, project.compile()


def test_ref_var_this_and_config_render(make_project, monkeypatch):
    monkeypatch.setenv("EVALHOUSE_TEST_REGION", "eu")
    _, compiled = compile_tiny(make_project, {
        "models/base.sql": "select 1 as x",
        "models/child.sql": """
            {{ config(materialized='table', tags=['nightly'], schema='analytics') }}
            -- {{ this }}
            select x, {{ var('threshold') }} as t, {{ var('missing', 7) }} as d,
                   '{{ env_var('EVALHOUSE_TEST_REGION') }}' as region
            from {{ ref('base') }}
        """,
    })
    child = compiled.by_name("child")
    assert child.config.materialized == "table"
    assert child.config.tags == ["nightly"]
    assert child.relation == '"analytics"."child"'
    assert '-- "analytics"."child"' in child.sql
    assert 'from "main"."base"' in child.sql
    assert "2 as t, 7 as d" in child.sql and "'eu' as region" in child.sql
    assert child.depends_on == {"model.base"}


def test_macros_are_global_and_can_call_ref_and_each_other(make_project):
    _, compiled = compile_tiny(make_project, {
        "macros/util.sql": """
            {% macro doubled(col) %}({{ col }} * {{ factor() }}){% endmacro %}
        """,
        "macros/more/factor.sql": "{% macro factor() %}2{% endmacro %}\n"
                                  "{% macro from_base() %}from {{ ref('base') }}{% endmacro %}",
        "models/base.sql": "select 1 as x",
        "models/user.sql": "select {{ doubled('x') }} as y {{ from_base() }}",
    })
    user = compiled.by_name("user")
    assert "(x * 2) as y" in user.sql
    assert user.depends_on == {"model.base"}


def test_jinja_syntax_error_names_the_file_and_line(make_project):
    with pytest.raises(TemplateError) as info:
        compile_tiny(make_project, {"models/bad.sql": "select 1\nfrom x\n{% if true %}\nwhere 1 = 1\n"})
    assert info.value.path == "models/bad.sql"
    assert info.value.line == 3  # the block left open
    assert "Jinja syntax error" in info.value.message


def test_jinja_syntax_error_in_a_macro_file(make_project):
    with pytest.raises(TemplateError) as info:
        compile_tiny(make_project, {"macros/m.sql": "{% macro a() %}\n{{ 1 + }}\n{% endmacro %}",
                                    "models/a.sql": "select 1"})
    assert info.value.path == "macros/m.sql"
    assert info.value.line == 2


def test_undefined_name_gives_the_line(make_project):
    with pytest.raises(TemplateError) as info:
        compile_tiny(make_project, {"models/a.sql": "select 1 as x\n-- fine\nselect {{ not_a_macro() }}\n"})
    assert info.value.path == "models/a.sql"
    assert info.value.line == 3
    assert "not_a_macro" in info.value.message


def test_undefined_var_names_the_var_and_how_to_set_it(make_project):
    with pytest.raises(TemplateError) as info:
        compile_tiny(make_project, {"models/a.sql": "select\n{{ var('tresh') }} as x"})
    assert "var 'tresh' is not defined" in info.value.message
    assert info.value.line == 2
    assert info.value.hint == "did you mean 'threshold'?"


def test_unknown_ref_suggests_the_nearest_model(make_project):
    with pytest.raises(GraphError) as info:
        compile_tiny(make_project, {"models/orders.sql": "select 1 as x",
                                    "models/b.sql": "select * from {{ ref('order') }}"})
    assert "unknown model or seed 'order'" in info.value.message
    assert info.value.hint == "did you mean 'orders'?"
    assert info.value.path == "models/b.sql"
    assert info.value.line == 1


def test_two_models_with_one_name_name_both_files(make_project):
    root = make_project({"models/a/x.sql": "select 1", "models/b/x.sql": "select 2"})
    with pytest.raises(Exception) as info:
        Project.load(root)
    assert "models/a/x.sql" in str(info.value) and "models/b/x.sql" in str(info.value)


def test_cycle_prints_the_path(make_project):
    with pytest.raises(GraphError) as info:
        compile_tiny(make_project, {
            "models/a.sql": "select * from {{ ref('c') }}",
            "models/b.sql": "select * from {{ ref('a') }}",
            "models/c.sql": "select * from {{ ref('b') }}",
        })
    message = info.value.message
    assert message.startswith("dependency cycle: ")
    path = message.removeprefix("dependency cycle: ").split(" -> ")
    assert path[0] == path[-1] and set(path) == {"model.a", "model.b", "model.c"}


def test_reading_a_project_table_without_ref_is_an_error(make_project):
    with pytest.raises(GraphError) as info:
        compile_tiny(make_project, {"models/base.sql": "select 1 as x",
                                    "models/sneaky.sql": "with t as (select * from base) select * from t"})
    assert "reads the project's table 'base' without ref()" in info.value.message
    assert "ref('base')" in info.value.hint


def test_ctes_and_table_functions_are_not_undeclared_reads(make_project):
    _, compiled = compile_tiny(make_project, {
        "models/base.sql": "select 1 as x",
        "models/ok.sql": "with base as (select 2 as x) select * from base, range(3) r",
    })
    assert compiled.by_name("ok").depends_on == set()


def test_ephemeral_models_are_inlined_as_ctes(make_project):
    _, compiled = compile_tiny(make_project, {
        "models/base.sql": "select 1 as x",
        "models/eph1.sql": "{{ config(materialized='ephemeral') }}select x + 1 as x from {{ ref('base') }}",
        "models/eph2.sql": "{{ config(materialized='ephemeral') }}select x * 10 as x from {{ ref('eph1') }}",
        "models/final.sql": "with a as (select * from {{ ref('eph2') }}) select * from a",
    })
    sql = compiled.by_name("final").sql
    assert sql.index("__evalhouse_ephemeral__eph1") < sql.index('"__evalhouse_ephemeral__eph2" as (')
    assert sql.lstrip().lower().startswith("with ") and sql.lower().count("with ") == 1


def test_sql_syntax_error_names_the_model_and_line(make_project):
    with pytest.raises(SqlError) as info:
        compile_tiny(make_project, {"models/a.sql": "{{ config(materialized='table') }}\nselect 1 as x\nfrom from\n"})
    assert info.value.path == "models/a.sql"
    assert "syntax error" in info.value.message.lower()
    assert "target/compiled/models/a.sql" in info.value.hint


def test_models_tagged_lists_models_with_a_tag_set_in_the_file(make_project):
    _, compiled = compile_tiny(make_project, {
        "models/m1.sql": "{{ config(tags=['metric']) }}select 1 as v",
        "models/m2.sql": "{{ config(tags=['metric']) }}select 2 as v",
        "models/all_metrics.sql": "{% for m in models_tagged('metric') %}select * from {{ ref(m) }}"
                                  "{% if not loop.last %} union all {% endif %}{% endfor %}",
    })
    assert compiled.by_name("all_metrics").depends_on == {"model.m1", "model.m2"}


def test_sources_resolve_from_yaml(make_project):
    _, compiled = compile_tiny(make_project, {
        "models/sources.yml": "sources:\n  - name: raw\n    schema: landing\n    tables:\n      - name: events\n",
        "models/a.sql": "select * from {{ source('raw', 'events') }}",
    })
    assert 'from "landing"."events"' in compiled.by_name("a").sql


def test_unknown_source_suggests(make_project):
    with pytest.raises(GraphError) as info:
        compile_tiny(make_project, {
            "models/sources.yml": "sources:\n  - name: raw\n    tables:\n      - name: events\n",
            "models/a.sql": "select * from {{ source('raw', 'event') }}",
        })
    assert info.value.hint == "did you mean 'raw.events'?"


def test_graph_order_is_deterministic_and_parents_first():
    graph = Graph({"c": {"a", "b"}, "b": {"a"}, "a": set(), "d": set()})
    assert graph.order() == ["a", "d", "b", "c"]
    assert graph.ancestors("c") == {"a", "b"}
    assert graph.descendants("a") == {"b", "c"}
    assert graph.descendants("a", depth=1) == {"b", "c"}
    assert graph.ancestors("c", depth=1) == {"a", "b"}


def test_a_model_that_unions_by_tag_sees_tags_set_by_other_unioning_models(make_project):
    # `all_user` asks for a tag and carries another, which `a_consumer` (rendered first) asks for
    _, compiled = compile_tiny(make_project, {
        "models/u1.sql": "{{ config(tags=['user_metric']) }}select 1 as v",
        "models/all_user.sql": "{{ config(tags=['per_user']) }}"
                               "{% for m in models_tagged('user_metric') %}select * from {{ ref(m) }}{% endfor %}",
        "models/a_consumer.sql": "{% for m in models_tagged('per_user') %}select * from {{ ref(m) }}{% endfor %}"
                                 "{% if not models_tagged('per_user') %}select 0 as v{% endif %}",
    })
    assert compiled.by_name("a_consumer").depends_on == {"model.all_user"}
    assert compiled.by_name("all_user").depends_on == {"model.u1"}
