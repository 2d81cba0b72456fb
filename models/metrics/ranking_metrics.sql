-- the per-user metrics averaged over users (candidate, metric, k, value, n_users,
-- users_without_relevant): the sum over users with a relevant item / n_users, which also
-- counts the users without one when count_users_without_relevant is true
{{ config(tags=['metric']) }}

with sums as (
    select candidate, metric, k, sum(value) as value_sum
    from {{ ref('user_metrics') }}
    group by candidate, metric, k
),

users as (
    select n_users, users_without_relevant from {{ ref('evaluated_users') }}
)

select
    s.candidate,
    s.metric,
    s.k,
    case when u.n_users > 0 then s.value_sum / u.n_users end as value,
    u.n_users,
    u.users_without_relevant
from sums as s
cross join users as u
