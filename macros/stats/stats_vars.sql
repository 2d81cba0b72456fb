{#- The vars of the comparisons (models/compare) and the A/B analysis (models/ab), each
    checked once here with a clear build error; the defaults live here only. -#}

{#- returns the baseline candidate's name as a SQL string: var baseline, else
    evaluation.baseline, else 'popular' -#}
{% macro comparison_baseline() -%}
{%- set value = var('baseline', evaluation.baseline or 'popular') -%}
{%- if value is not string or value | length == 0 -%}
{{ raise_error("var baseline must be the name of a candidate such as 'popular', got " ~ value) }}
{%- endif -%}
{{ sql_string(value) }}
{%- endmacro %}

{#- returns who named the baseline, as an error message says it ('var baseline' or
    'evaluation.baseline'), or '' when it is the default 'popular', which a project of
    candidate files only need not have -#}
{% macro baseline_named_by() -%}
{%- if var('baseline', none) is not none -%}var baseline{%- elif evaluation.baseline -%}evaluation.baseline{%- endif -%}
{%- endmacro %}

{#- returns a non-negative integer var, or a build error naming it -#}
{% macro non_negative_integer_var(name, default, upper=None) -%}
{%- set value = var(name, default) -%}
{%- if value is not integer or value is boolean or value < 0 or (upper is not none and value > upper) -%}
{{ raise_error("var " ~ name ~ " must be an integer from 0 to " ~ (upper if upper is not none else 'any size') ~ ", got " ~ value) }}
{%- endif -%}
{{ value }}
{%- endmacro %}

{#- returns B, the replicates of the randomization test and of the bootstrap (var
    comparison_resamples, default 1000; 0 turns both off) -#}
{% macro comparison_resamples() -%}
{{ non_negative_integer_var('comparison_resamples', 1000, 1000000) }}
{%- endmacro %}

{#- returns G, the most resampling units of a comparison (var comparison_buckets, default
    1000): up to G users, each user is a unit (the exact paired bootstrap and randomization
    test); above, users are hashed into G buckets and the buckets are resampled, so the
    cost stays B x G whatever the number of users -#}
{% macro comparison_buckets() -%}
{%- set value = var('comparison_buckets', 1000) -%}
{%- if value is not integer or value is boolean or value < 2 or value > 100000 -%}
{{ raise_error("var comparison_buckets must be an integer from 2 to 100000, got " ~ value) }}
{%- endif -%}
{{ value }}
{%- endmacro %}

{#- returns the seed of the randomization test and the bootstrap (var comparison_seed, default 42) -#}
{% macro comparison_seed() -%}
{{ non_negative_integer_var('comparison_seed', 42, 9223372036854775807) }}
{%- endmacro %}

{#- returns a var that names a candidate or variant, as a SQL string -#}
{% macro name_var(name, default) -%}
{%- set value = var(name, default) -%}
{%- if value is not string or value | length == 0 -%}
{{ raise_error("var " ~ name ~ " must be a name such as '" ~ default ~ "', got " ~ value) }}
{%- endif -%}
{{ sql_string(value) }}
{%- endmacro %}

{#- returns a number var strictly between 0 and 1, or a build error naming it -#}
{% macro fraction_var(name, default) -%}
{%- set value = var(name, default) -%}
{%- if finite_number(value) != 'True' or value <= 0 or value >= 1 -%}
{{ raise_error("vars." ~ name ~ " must be a number between 0 and 1 (exclusive), got " ~ value, hint="set vars: " ~ name ~ " in project.yml, or pass --vars") }}
{%- endif -%}
{{ value }}
{%- endmacro %}

{#- the A/B vars: which variants are compared (in the replay, which candidates), the share
    of users expected in the control, the items a session shows, the seed of the replay's
    split and session times, and the significance levels -#}
{% macro ab_control() -%}{{ name_var('ab_control', 'popular') }}{%- endmacro %}
{% macro ab_treatment() -%}{{ name_var('ab_treatment', 'item_cooccurrence') }}{%- endmacro %}
{% macro ab_control_share() -%}{{ fraction_var('ab_control_share', 0.5) }}{%- endmacro %}
{% macro ab_impressions() -%}{{ positive_integer_var('ab_impressions', 10) }}{%- endmacro %}
{% macro ab_seed() -%}{{ non_negative_integer_var('ab_seed', 42, 9223372036854775807) }}{%- endmacro %}
{% macro ab_alpha() -%}{{ fraction_var('ab_alpha', 0.05) }}{%- endmacro %}
{% macro ab_srm_alpha() -%}{{ fraction_var('ab_srm_alpha', 0.001) }}{%- endmacro %}
