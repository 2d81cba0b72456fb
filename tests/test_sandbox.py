"""Templates render in Jinja's sandbox: known escapes fail with a clear error."""

from __future__ import annotations

import pytest

from evalhouse import Project
from evalhouse.errors import TemplateError

ESCAPES = {
    "class_of_a_string": "{{ ''.__class__ }}",
    "subclasses_walk": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "tuple_base_subclasses": "{{ ().__class__.__base__.__subclasses__() }}",
    "globals_of_ref": "{{ ref.__globals__ }}",
    "globals_of_var": "{{ var.__globals__['os'] }}",
    "code_of_config": "{{ config.__code__ }}",
    "init_globals_of_cycler": "{{ cycler.__init__.__globals__.os }}",
    "lipsum_os_popen": "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "template_reference_init": "{{ self.__init__.__globals__ }}",
    "namespace_init": "{{ namespace.__init__.__globals__ }}",
    "format_globals": "{{ ''.format.__globals__ }}",
    "bound_method_self": "{{ [].append.__self__.__class__ }}",
    "str_format_attribute_walk": "{{ '{0.__class__}'.format(1) }}",
    "format_map_walk": "{{ '{x.__class__.__mro__}'.format_map({'x': 1}) }}",
    "open_a_file": "{{ open('/etc/passwd').read() }}",
    "import_os": "{% import 'os' as os %}{{ os.name }}",
    "include_a_system_file": "{% include '/etc/passwd' %}",
    "dunder_import": "{{ __import__('os') }}",
    "evaluation_class": "{{ evaluation.__class__ }}",
    "this_class_dict": "{{ this.__class__.__dict__ }}",
    "macro_func_globals": "{% macro m() %}{% endmacro %}{{ m._func.__globals__ }}",
    "getattr_filter": "{{ ref | attr('__globals__') }}",
}


@pytest.mark.parametrize("template", ESCAPES.values(), ids=ESCAPES.keys())
def test_escape_fails_with_a_clear_error(make_project, template):
    root = make_project({"models/evil.sql": "select 1 as x\n" + template + "\n"})
    with pytest.raises(TemplateError) as info:
        Project.load(root).compile(write=False)
    error = info.value
    assert error.path == "models/evil.sql"
    assert error.line == 2
    assert any(word in error.message for word in ("sandbox", "undefined", "not found", "unsafe")), error.message


def test_everything_the_docs_use_still_works(make_project):
    root = make_project({
        "macros/m.sql": "{% macro pct(x) %}round(100.0 * {{ x }}, 2){% endmacro %}",
        "models/base.sql": "select 1 as x",
        "models/ok.sql": """
            {{ config(materialized='table', tags=['metric']) }}
            {%- set ks = var('k_values', [5, 10]) -%}
            {%- set ns = namespace(total=0) -%}
            {%- for k in ks %}{% set ns.total = ns.total + k %}{% endfor -%}
            select {{ pct('x') }} as p, {{ ns.total }} as total, '{{ this }}' as me,
                   {{ ks | join(', ') | length }} as n, {{ ks | max }} as kmax
            from {{ ref('base') }}
        """,
    })
    compiled = Project.load(root).compile(write=False)
    sql = compiled.by_name("ok").sql
    assert "round(100.0 * x, 2) as p, 15 as total" in sql and '\'"main"."ok"\' as me' in sql


# --- bounded renders: time, output, arithmetic, read-only values ------------------------------


def compile_error(make_project, files: dict[str, str], project_yml: str | None = None) -> TemplateError:
    root = make_project(files) if project_yml is None else make_project(files, project_yml=project_yml)
    with pytest.raises(TemplateError) as info:
        Project.load(root).compile(write=False)
    return info.value


def test_a_huge_range_is_refused_with_a_clear_message(make_project):
    error = compile_error(make_project, {"models/m.sql": "select 1\n{% for i in range(10**7) %}{% endfor %}"})
    assert error.path == "models/m.sql" and error.line == 2
    assert "range() of 10,000,000 numbers" in error.message


def test_a_huge_power_is_refused(make_project):
    error = compile_error(make_project, {"models/m.sql": "select {{ 10 ** (10 ** 10) }}"})
    assert error.path == "models/m.sql" and "too large to compute" in error.message


def test_small_arithmetic_still_works(make_project):
    root = make_project({"models/m.sql": "select {{ 2 ** 10 }} as a, '{{ 'ab' * 3 }}' as b, {{ 1.5 * 2 }} as c"})
    compiled = Project.load(root).compile(write=False)
    assert "select 1024 as a, 'ababab' as b, 3.0 as c" in compiled.by_name("m").sql


def test_huge_output_is_refused_naming_the_model_and_the_setting(make_project):
    error = compile_error(make_project, {"models/big.sql": "select 1 -- {{ 'x' * 10**9 }}"})
    assert error.path == "models/big.sql"
    assert "output limit (50 MB)" in error.message and "render.max_output_mb" in error.hint


def test_output_built_by_a_loop_is_stopped_at_the_limit(make_project):
    error = compile_error(
        make_project,
        {"models/big.sql": "select 1\n{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}"},
        project_yml="name: tiny\nrender:\n  max_output_mb: 1\n",
    )
    assert error.path == "models/big.sql" and "output limit (1 MB)" in error.message


def test_nested_ranges_stop_at_the_time_limit(make_project):
    import time

    started = time.monotonic()
    error = compile_error(
        make_project,
        {"models/slow.sql": "select 1\n{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"},
        project_yml="name: tiny\nrender:\n  timeout_seconds: 0.5\n",
    )
    assert time.monotonic() - started < 10
    assert error.path == "models/slow.sql"
    assert "time limit (0.5 s)" in error.message and "render.timeout_seconds" in error.hint


MUTATIONS = {
    "candidates_clear": "{{ evaluation.candidates.clear() }}",
    "var_append": "{{ var('k_values').append(3) }}",
    "var_update": "{{ var('settings').update({'a': 2}) }}",
    "var_pop": "{{ var('k_values').pop() }}",
    "target_update": "{{ target.update({'name': 'x'}) }}",
}


@pytest.mark.parametrize("template", MUTATIONS.values(), ids=MUTATIONS.keys())
def test_templates_cannot_change_what_later_models_see(make_project, template):
    project_yml = "name: tiny\nvars:\n  k_values: [5, 10]\n  settings: {a: 1}\n"
    files = {"models/a_evil.sql": "select 1 as x\n" + template + "\n"}
    error = compile_error(make_project, files, project_yml=project_yml)
    assert error.path == "models/a_evil.sql" and error.line == 2
    assert "cannot change vars, evaluation or target" in error.message


def test_frozen_values_work_like_lists_and_dicts(make_project):
    root = make_project(
        {
            "macros/m.sql": "{% macro kind(x) %}{% if x is mapping %}map{% elif x is sequence %}seq{% endif %}{% endmacro %}",
            "models/a.sql": "select '{{ var('k_values') | join(',') }}' as j, {{ var('k_values') | length }} as n,"
            " {{ 10 in var('k_values') }} as has, {{ var('k_values')[0] }} as first,"
            " '{{ kind(var('k_values')) }}{{ kind(var('settings')) }}' as kinds,"
            " {% for k in var('k_values') %}{{ k }} as k{{ k }}, {% endfor %}"
            " '{{ (var('k_values') + [3]) | join(',') }}' as more, '{{ var('settings') | tojson }}' as js,"
            " '{{ target.name }}' as t",
            "models/b.sql": "select '{{ var('k_values') | join(',') }}' as j",
        },
        project_yml="name: tiny\nvars:\n  k_values: [5, 10]\n  settings: {a: 1}\n",
    )
    compiled = Project.load(root).compile(write=False)
    sql = compiled.by_name("a").sql
    for part in ("'5,10' as j", "2 as n", "True as has", "5 as first", "'seqmap' as kinds",
                 "5 as k5, 10 as k10", "'5,10,3' as more", '\'{"a": 1}\' as js', "'duckdb' as t"):
        assert part in sql, (part, sql)
    assert "'5,10' as j" in compiled.by_name("b").sql
