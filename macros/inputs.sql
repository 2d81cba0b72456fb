{#- What the input files hold, from the checks every build starts with
    (evalhouse/evaluation/checks.py): evaluation.columns and evaluation.id_types. -#}

{#- returns 'true' when the input `role` (labels, train; or a candidate `name`) has
    `column`, else 'false'. An input that is not a file (the split of the seeds) has every
    column; so does a file whose schema could not be read (the build then says why) -#}
{% macro input_has(role, column, name=none) -%}
{%- set known = evaluation.columns or {} -%}
{%- if role == 'candidates' -%}
{%- set schema = (known.candidates or {}).get(name) -%}
{%- else -%}
{%- set schema = known.get(role) if evaluation[role] else none -%}
{%- endif -%}
{{ 'true' if schema is none or column in schema else 'false' }}
{%- endmacro %}

{#- returns an id column in the type every input compares it in: text when any input file
    has text ids in it (the checks warn naming the files), else as read -#}
{% macro input_id(column, qualifier=none) -%}
{%- set expression = (qualifier ~ '.' if qualifier else '') ~ column -%}
{%- if (evaluation.id_types or {}).get(column) == 'varchar' -%}
cast({{ expression }} as varchar)
{%- else -%}
{{ expression }}
{%- endif -%}
{%- endmacro %}

{#- returns 'true' when train has a ts column: popular_recent and the time slices need it -#}
{% macro train_has_ts() -%}
{{ input_has('train', 'ts') }}
{%- endmacro %}
