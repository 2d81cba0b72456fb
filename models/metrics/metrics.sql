-- every metric of every candidate, one row per (candidate, metric, k): the union of the
-- models tagged metric, each returning candidate, metric, k, value[, n_users, ...]
{{ config(materialized='table') }}
-- depends_on: {{ ref('metric_definitions') }} (what each metric is; built with it, so the
-- data test metrics_are_declared always finds both)
{%- set metric_models = models_tagged('metric') %}
{%- if not metric_models %}
{{ raise_error("no model is tagged 'metric': the metrics table has nothing to hold") }}
{%- endif %}

with unioned as (
    {%- for model in metric_models %}
    select * from {{ ref(model) }}
    {% if not loop.last %}union all by name{% endif %}
    {%- endfor %}
)

select
    candidate,
    metric,
    cast(k as integer) as k,
    cast(value as double) as value,
    cast(n_users as bigint) as n_users,
    cast(users_without_relevant as bigint) as users_without_relevant,
    -- the profile of var conventions the values follow (macros/conventions.sql)
    {{ sql_string(conventions()) }} as conventions
from unioned
