-- one row per candidate and one column per metric@K (metric by metric, K ascending), best
-- first by var leaderboard_order ({metric, k}); for people to read. The column conventions
-- names the profile of var conventions the values follow (macros/conventions.sql), as in
-- metrics: boards built under different profiles are not compared unawares
{{ config(materialized='table') }}
{%- set order = var('leaderboard_order', {'metric': 'ndcg', 'k': 10}) %}

with metrics as (
    select candidate, metric, k, value, n_users from {{ ref('metrics') }}
),

per_candidate as (
    select
        candidate,
        -- the users behind the metric the board is ordered by; metrics of other families
        -- (calibration, gauc) may count fewer users
        coalesce(
            max(case when metric = {{ sql_string(order.metric) }} and k = {{ order.k | int }} then n_users end),
            max(n_users)
        ) as n_users,
        max(case when metric = {{ sql_string(order.metric) }} and k = {{ order.k | int }} then value end)
            as sort_value
    from metrics
    group by candidate
),

placeholder as (
    -- without any metric row (no user has a relevant label) the board still has a column
    select candidate, cast(null as bigint) as n_users, cast(null as double) as sort_value,
        'no_metrics' as metric, 0 as k, cast(null as double) as value
    from {{ ref('evaluated_candidates') }}
    where not exists (select 1 from metrics)
),

long_rows as (
    select m.candidate, p.n_users, p.sort_value, m.metric, m.k, m.value
    from metrics as m
    inner join per_candidate as p on p.candidate = m.candidate
    union all
    select candidate, n_users, sort_value, metric, k, value from placeholder
),

profiled_rows as (
    select *, {{ sql_string(conventions()) }} as conventions from long_rows
)

select * exclude (sort_value)
from ({{ pivot_metric_columns('profiled_rows', ['candidate', 'n_users', 'conventions', 'sort_value'], 'sort_value desc nulls last, candidate') }}) as board
