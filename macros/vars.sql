{#- The project vars the models read, each checked once here with a clear build error.
    Defaults live here only, so a project that leaves a var out gets the same value
    everywhere. -#}

{#- returns True when a value is a finite number (not a boolean, NaN or infinity: YAML's
    .nan and .inf are numbers to Jinja, and would reach the SQL as the names nan and inf);
    x - x is 0 for every finite number and NaN for the other two -#}
{% macro finite_number(value) -%}
{{ value is number and value is not boolean and value - value == 0 }}
{%- endmacro %}

{#- returns the cut-offs K (var k_values) as a comma-separated list: distinct, ascending.
    K is at most 1000 (max_k_value): the longest list is max(k_values) items for every user
    and candidate, the per-list rank checks (list_rank_checks) hold its ranks as 64-bit
    words ((K + 63) // 64 of them, added in one expression), recall_curve has a row per k
    up to it -#}
{% macro max_k_value() -%}1000{%- endmacro %}

{#- stops the build: k_values is not a list of cut-offs from 1 to the bound -#}
{% macro _k_values_error(ks, bound) -%}
{{ raise_error("vars.k_values must be a non-empty list of positive integers, each at most " ~ bound ~ " (the longest list evalhouse builds), such as [5, 10, 20], got " ~ ks, hint="set vars: k_values in project.yml, or pass --vars '{k_values: [10, 20]}'; docs/evaluation.md#vars explains the bound") }}
{%- endmacro %}

{% macro k_values() -%}
{%- set ks = var('k_values', [5, 10, 20, 50, 100]) -%}
{%- set bound = max_k_value() | int -%}
{%- set invalid = ks is string or ks is not iterable or ks is mapping or ks | length == 0 -%}
{%- for k in ([] if invalid else ks) -%}
{%- if k is not integer or k is boolean or k < 1 or k > bound -%}
{{ _k_values_error(ks, bound) }}
{%- endif -%}
{%- endfor -%}
{%- if invalid -%}
{{ _k_values_error(ks, bound) }}
{%- endif -%}
{{ ks | unique | sort | join(', ') }}
{%- endmacro %}

{#- returns the largest cut-off, the length of every baseline list -#}
{% macro max_k() -%}
{{ k_values().split(', ') | map('int') | max }}
{%- endmacro %}

{#- returns the relevance threshold (var rel_threshold, default 1); 1 when evaluation.labels
    has no relevance column (implicit feedback: every label is relevant, with relevance 1) -#}
{% macro rel_threshold() -%}
{%- set value = var('rel_threshold', 1) if input_has('labels', 'relevance') == 'true' else 1 -%}
{%- if finite_number(value) != 'True' -%}
{{ raise_error("vars.rel_threshold must be a finite number such as 4.0, got " ~ value, hint="set vars: rel_threshold in project.yml, or pass --vars") }}
{%- endif -%}
{{ value }}
{%- endmacro %}

{#- returns beta of f_beta (var beta, default 1), a positive number -#}
{% macro beta() -%}
{%- set value = var('beta', 1) -%}
{%- if finite_number(value) != 'True' or value <= 0 -%}
{{ raise_error("vars.beta must be a positive finite number, got " ~ value, hint="set vars: beta in project.yml, or pass --vars") }}
{%- endif -%}
{{ value }}
{%- endmacro %}

{#- returns the persistence p of rbp (var rbp_persistence, default 0.8): the chance that a
    user who looked at one item also looks at the next, strictly between 0 and 1 -#}
{% macro rbp_persistence() -%}
{%- set value = var('rbp_persistence', 0.8) -%}
{%- if finite_number(value) != 'True' or value <= 0 or value >= 1 -%}
{{ raise_error("var rbp_persistence must be a number strictly between 0 and 1 such as 0.8, got " ~ value, hint="set vars: rbp_persistence in project.yml, or pass --vars '{rbp_persistence: 0.8}'") }}
{%- endif -%}
{{ value }}
{%- endmacro %}

{#- returns the share of the train items in the long tail (var long_tail_ratio, default
    0.8: every item outside the 20% most interacted with), in (0, 1] -#}
{% macro long_tail_ratio() -%}
{%- set value = var('long_tail_ratio', 0.8) -%}
{%- if finite_number(value) != 'True' or value <= 0 or value > 1 -%}
{{ raise_error("var long_tail_ratio must be a number in (0, 1] such as 0.8, got " ~ value, hint="set vars: long_tail_ratio in project.yml, or pass --vars '{long_tail_ratio: 0.8}'") }}
{%- endif -%}
{{ value }}
{%- endmacro %}

{#- returns the share of interactions held out (var holdout_fraction), strictly between 0 and 1 -#}
{% macro holdout_fraction() -%}
{%- set value = var('holdout_fraction', 0.2) -%}
{%- if finite_number(value) != 'True' or value <= 0 or value >= 1 -%}
{{ raise_error("vars.holdout_fraction must be a number between 0 and 1 (exclusive), got " ~ value, hint="set vars: holdout_fraction in project.yml (0.2 holds out the latest 20%), or pass --vars") }}
{%- endif -%}
{{ value }}
{%- endmacro %}

{#- returns 'keep' or 'drop': what the split does with holdout users unseen in train -#}
{% macro cold_start_users() -%}
{%- set value = var('cold_start_users', 'keep') -%}
{%- if value not in ('keep', 'drop') -%}
{{ raise_error("var cold_start_users must be 'keep' or 'drop', got " ~ value) }}
{%- endif -%}
{{ value }}
{%- endmacro %}

{#- returns a positive integer var, or a build error naming it -#}
{% macro positive_integer_var(name, default) -%}
{%- set value = var(name, default) -%}
{%- if value is not integer or value is boolean or value < 1 -%}
{{ raise_error("var " ~ name ~ " must be a positive integer, got " ~ value) }}
{%- endif -%}
{{ value }}
{%- endmacro %}

{#- returns 'true' or 'false' for a boolean var, or a build error naming it -#}
{% macro boolean_var(name, default) -%}
{%- set value = var(name, default) -%}
{%- if value is not boolean -%}
{{ raise_error("var " ~ name ~ " must be true or false, got " ~ value) }}
{%- endif -%}
{{ 'true' if value else 'false' }}
{%- endmacro %}
