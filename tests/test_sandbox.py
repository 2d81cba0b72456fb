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
