{#- The regression metrics of docs/metrics.md (scikit-learn's definitions) for rating
    prediction: sums per group from the (prediction, actual) pairs in one pass, then each
    metric is one expression over the sums. `group_by` adds grouping columns to the
    candidate (the slice columns in metrics_by_slice). MAPE departs from sklearn: it runs
    over the pairs with a non-zero actual value only (sklearn floors |actual| at machine
    epsilon, so one zero rating puts its mean near 1e15); the pairs it leaves out are
    counted in n_pairs_zero_actual and reported as the metric mape_zero_actual_pairs. -#}

{#- returns (keys..., n_pairs, n_users, n_pairs_zero_actual, n_users_nonzero_actual,
    sum_abs_error, sum_squared_error, sum_percentage_error, sum_squares_total) per group
    over the pairs where both the prediction and the actual value are known;
    n_pairs_zero_actual counts the pairs whose actual value is 0 and n_users_nonzero_actual
    the users with a pair whose actual value is not (MAPE's users); sum_percentage_error
    sums |actual - prediction| / |actual| over the pairs with a non-zero actual value (null
    when there is none); sum_squares_total is the sum of squared deviations of the actual
    values from their group mean (R²'s denominator) -#}
{% macro regression_sums(relation, group_by=[], candidate='candidate', user='user_id', prediction='prediction', actual='rating') -%}
{%- set keys = ([candidate] + (group_by or [])) | join(', ') %}
with pairs as (
    select
        {{ keys }},
        {{ user }} as user_id,
        cast({{ prediction }} as double) as prediction,
        cast({{ actual }} as double) as actual
    from {{ relation }}
    where {{ prediction }} is not null and {{ actual }} is not null
),

centred as (
    select *, actual - avg(actual) over (partition by {{ keys }}) as deviation
    from pairs
)

select
    {{ keys }},
    count(*) as n_pairs,
    count(distinct user_id) as n_users,
    count(case when actual = 0 then 1 end) as n_pairs_zero_actual,
    count(distinct case when actual <> 0 then user_id end) as n_users_nonzero_actual,
    sum(abs(actual - prediction)) as sum_abs_error,
    sum((actual - prediction) * (actual - prediction)) as sum_squared_error,
    sum(abs(actual - prediction) / nullif(abs(actual), 0)) as sum_percentage_error,
    sum(deviation * deviation) as sum_squares_total
from centred
group by {{ keys }}
{%- endmacro %}

{#- returns the SQL expression of one regression metric over the columns of
    regression_sums: mae, mse, rmse, r2 (null below 2 pairs; 1 or 0 when the actual values
    are constant, as sklearn's force_finite), mape (a fraction, over the pairs with a
    non-zero actual value; null when every actual value is 0) or mape_zero_actual_pairs
    (the pairs mape leaves out: their actual value is 0) -#}
{% macro regression_metric_value(name) -%}
{%- set expressions = {
    'mae': 'sum_abs_error / n_pairs',
    'mse': 'sum_squared_error / n_pairs',
    'rmse': 'sqrt(sum_squared_error / n_pairs)',
    'r2': 'case when n_pairs < 2 then null when sum_squares_total = 0 then case when sum_squared_error = 0 then 1.0 else 0.0 end else 1 - sum_squared_error / sum_squares_total end',
    'mape': 'sum_percentage_error / nullif(n_pairs - n_pairs_zero_actual, 0)',
    'mape_zero_actual_pairs': 'cast(n_pairs_zero_actual as double)',
} -%}
{%- if name not in expressions -%}
{{ raise_error("unknown regression metric '" ~ name ~ "'; known: " ~ expressions.keys() | join(', ')) }}
{%- endif -%}
{{ expressions[name] }}
{%- endmacro %}

{#- returns the column of regression_sums that counts the users one regression metric runs
    over: the users with a non-zero actual value for mape, else every user with a pair -#}
{% macro regression_metric_users(name) -%}
{{ 'n_users_nonzero_actual' if name == 'mape' else 'n_users' }}
{%- endmacro %}

{#- the names regression_metric_value knows -#}
{% macro regression_metric_names() -%}
mae, mse, rmse, r2, mape, mape_zero_actual_pairs
{%- endmacro %}

{#- returns (keys..., metric, k, value, n_users) of one regression metric per group of a
    regression_sums relation; k is null -#}
{% macro regression_metric(sums, name, group_by=[]) -%}
{%- set keys = (['candidate'] + (group_by or [])) | join(', ') %}
select {{ keys }}, {{ sql_string(name) }} as metric, cast(null as integer) as k, {{ regression_metric_value(name) }} as value, {{ regression_metric_users(name) }} as n_users
from {{ sums }}
{%- endmacro %}

{#- returns every regression metric per group of a regression_sums relation, one select
    per metric in a union -#}
{% macro regression_metrics(sums, group_by=[]) -%}
{%- for name in regression_metric_names().split(', ') %}
{{ regression_metric(sums, name, group_by) }}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{%- endmacro %}

{#- returns a non-negative number var, or a build error naming it -#}
{% macro non_negative_number_var(name, default) -%}
{%- set value = var(name, default) -%}
{%- if finite_number(value) != 'True' or value < 0 -%}
{{ raise_error("vars." ~ name ~ " must be a finite number >= 0, got " ~ value, hint="set vars: " ~ name ~ " in project.yml, or pass --vars") }}
{%- endif -%}
{{ value }}
{%- endmacro %}
