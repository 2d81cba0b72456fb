-- every metric by user slice, one row per (candidate, slice, slice_value, metric, k): the
-- union of the models tagged slice_metric, each returning candidate, slice, slice_value,
-- metric, k, value, n_users; n_users = the slice's users the value runs over
{{ config(materialized='table') }}
{#- slice_user_means unions the per_user models by tag itself, and models_tagged() only
    sees models that do not call it (they render first), so it is added by name -#}
{%- set slice_models = (models_tagged('slice_metric') + ['slice_user_means']) | unique | list %}

with unioned as (
    {%- for model in slice_models %}
    select * from {{ ref(model) }}
    {% if not loop.last %}union all by name{% endif %}
    {%- endfor %}
)

select
    candidate,
    slice,
    slice_value,
    metric,
    cast(k as integer) as k,
    cast(value as double) as value,
    cast(n_users as bigint) as n_users
from unioned
