{#- The cut-off helpers of the metrics that compute every K in one pass (one conditional
    aggregate per K, then unnested): beyond_accuracy/ and stability/. `k_values` is a list
    of integers or k_values()'s text. -#}

{#- returns the cut-offs as comma-separated text, from a list or k_values()'s text; a
    macro returns text, so callers take `cutoffs_text(k_values).split(',') | map('int') | list` -#}
{% macro cutoffs_text(k_values) -%}
{%- if k_values is string -%}{{ k_values }}{%- else -%}{{ k_values | join(', ') }}{%- endif -%}
{%- endmacro %}

{#- returns a list literal of the cut-offs, from a list of integers or k_values()'s text -#}
{% macro cutoff_list(k_values) -%}
[{{ cutoffs_text(k_values) }}]
{%- endmacro %}

{#- returns "prefix5, prefix10, ..." for the cut-offs -#}
{% macro columns_per_k(prefix, ks) -%}
{%- for k in ks %}{{ prefix }}{{ k }}{{ ", " if not loop.last }}{% endfor -%}
{%- endmacro %}
