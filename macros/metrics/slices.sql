{#- Building blocks of the user slices (models/slices): quantile buckets and the slice
    vars. -#}

{#- returns (id_column, bucket) for the rows of `relation` whose value_column is not null:
    bucket 1..n_buckets, cut at the discrete quantiles j / n_buckets (j = 1..n_buckets - 1,
    numpy's 'inverted_cdf') of that column; a value equal to a cut point falls in the lower
    bucket, so equal values share a bucket (and a bucket may be empty) -#}
{% macro quantile_buckets(relation, id_column, value_column, n_buckets) -%}
{%- set n = n_buckets | int %}
select
    r.{{ id_column }},
    1
    {%- for j in range(1, n) %} + case when r.{{ value_column }} > cuts.cut_{{ j }} then 1 else 0 end{% endfor %} as bucket
from {{ relation }} as r
cross join (
    select
        0 as no_cut
        {%- for j in range(1, n) %},
        {{ discrete_quantile(value_column, j / n) }} as cut_{{ j }}
        {%- endfor %}
    from {{ relation }}
    where {{ value_column }} is not null
) as cuts
where r.{{ value_column }} is not null
{%- endmacro %}

{#- returns the number of activity buckets (var activity_buckets, default 3) -#}
{% macro activity_buckets() -%}
{{ positive_integer_var('activity_buckets', 3) }}
{%- endmacro %}

{#- returns how many days before the cutoff a user's first interaction makes them new
    (var new_user_days, default 30) -#}
{% macro new_user_days() -%}
{{ positive_integer_var('new_user_days', 30) }}
{%- endmacro %}

{#- returns true when a family of metrics is computed by slice (var slice_metrics, default
    every family: user_means, classification, regression, beyond_accuracy); each family
    costs another pass over its rows per kind of slice -#}
{% macro slices_include(family) -%}
{%- set families = ['user_means', 'classification', 'regression', 'beyond_accuracy'] -%}
{%- set chosen = var('slice_metrics', families) -%}
{%- if chosen is string or chosen is not iterable or chosen is mapping -%}
{{ raise_error("var slice_metrics must be a list of " ~ families | join(', ') ~ ", got " ~ chosen) }}
{%- endif -%}
{%- for name in chosen if name not in families -%}
{{ raise_error("var slice_metrics: unknown family '" ~ name ~ "'; known: " ~ families | join(', ')) }}
{%- endfor -%}
{{ 'true' if family in chosen else '' }}
{%- endmacro %}

{#- returns an empty relation of metrics_by_slice's shape -#}
{% macro empty_slice_metrics() -%}
{{ empty_relation({'candidate': 'varchar', 'slice': 'varchar', 'slice_value': 'varchar', 'metric': 'varchar',
                  'k': 'integer', 'value': 'double', 'n_users': 'bigint'}) }}
{%- endmacro %}
