-- the per-user metrics averaged over users (candidate, metric, k, value, n_users,
-- users_without_relevant): the sum over users with a relevant item / n_users, which also
-- counts the users without one when count_users_without_relevant is true; under var
-- conventions other than evalhouse the mean over the users that profile scores (one row
-- each in user_metrics)
{{ config(tags=['metric']) }}

with sums as (
    select candidate, metric, k, sum(value) as value_sum, count(*) as n_scored
    from {{ ref('user_metrics') }}
    group by candidate, metric, k
),

users as (
    select n_users, users_without_relevant from {{ ref('evaluated_users') }}
)

{%- if convention('users') == 'relevant' %}
select
    s.candidate,
    s.metric,
    s.k,
    case when u.n_users > 0 then s.value_sum / u.n_users end as value,
    u.n_users,
    u.users_without_relevant
from sums as s
cross join users as u
{%- else %}
-- a profile (var conventions) that scores its own users: each has a row of user_metrics,
-- so the mean is over the rows (per candidate: trec_eval leaves out a user without a list)
select
    s.candidate,
    s.metric,
    s.k,
    s.value_sum / s.n_scored as value,
    s.n_scored as n_users,
    u.users_without_relevant
from sums as s
cross join users as u
{%- endif %}
