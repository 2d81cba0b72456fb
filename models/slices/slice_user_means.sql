-- every per-user metric by slice (candidate, slice, slice_value, metric, k, value,
-- n_users): for each model tagged per_user (candidate, user_id, metric, k, value), the sum
-- over the slice's users / n_users, the slice's users with a value; for user_metrics (the
-- ranking metrics) the slice's users without a relevant label also count as 0 when
-- count_users_without_relevant is true, as in ranking_metrics. A per-user metric whose
-- global value is not its users' mean is left out here and sliced with its own macro
-- (novelty, a mean over rows: slice_beyond_accuracy)
{{ config(materialized='table', tags=['slice_metric']) }}
{%- set per_user_models = models_tagged('per_user') %}
{%- set not_user_means = {'user_beyond_metrics': ['novelty']} %}
{%- set zero_users = boolean_var('count_users_without_relevant', false) == 'true' %}
{%- if per_user_models and slices_include('user_means') %}

with slices as (
    select user_id, slice, slice_value from {{ ref('user_slices') }}
),

users_without_relevant as (
    select s.slice, s.slice_value, count(*) as n_users
    from {{ ref('label_users') }} as u
    inner join slices as s on s.user_id = u.user_id
    where u.n_relevant = 0
    group by s.slice, s.slice_value
),

sums as (
    {%- for model in per_user_models %}
    select
        p.candidate,
        s.slice,
        s.slice_value,
        p.metric,
        cast(p.k as integer) as k,
        sum(cast(p.value as double)) as value_sum,
        count(p.value) as n_users,
        {{ 'true' if (zero_users and model == 'user_metrics') else 'false' }} as zero_for_users_without_relevant
    from {{ ref(model) }} as p
    inner join slices as s on s.user_id = p.user_id
    {%- if not_user_means.get(model) %}
    where p.metric not in ({% for name in not_user_means[model] %}{{ sql_string(name) }}{{ ', ' if not loop.last }}{% endfor %})
    {%- endif %}
    group by p.candidate, s.slice, s.slice_value, p.metric, p.k
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

denominators as (
    select
        m.*,
        m.n_users + case when m.zero_for_users_without_relevant then coalesce(w.n_users, 0) else 0 end as slice_users
    from sums as m
    left join users_without_relevant as w on w.slice = m.slice and w.slice_value = m.slice_value
)

select
    candidate,
    slice,
    slice_value,
    metric,
    k,
    case when slice_users > 0 then value_sum / slice_users end as value,
    slice_users as n_users
from denominators
{%- else %}

{{ empty_slice_metrics() }}
{%- endif %}
