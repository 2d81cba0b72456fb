-- one row describing the split: the cutoff, train and holdout sizes, and the cold-start
-- users (holdout users with no train interaction), counted whether kept or dropped
-- the demo's dataset: off when evaluation.labels and evaluation.train are given (nothing reads it then)
{{ config(materialized='table', enabled=not (evaluation.labels and evaluation.train)) }}

with cutoff as (
    select cutoff, cutoff_from from {{ ref('split_cutoff') }}
),

interactions as (
    select i.user_id, i.ts >= c.cutoff as is_after_cutoff
    from {{ ref('stg_interactions') }} as i
    cross join cutoff as c
),

train_users as (
    select distinct user_id from {{ ref('split_train') }}
),

after_cutoff_users as (
    select
        i.user_id,
        count(*) as n_interactions,
        max(case when t.user_id is null then 1 else 0 end) as is_cold_start_user
    from interactions as i
    left join train_users as t on t.user_id = i.user_id
    where i.is_after_cutoff
    group by i.user_id
),

counts as (
    select
        (select count(*) from interactions where not is_after_cutoff) as n_train_interactions,
        (select count(*) from train_users) as n_train_users,
        (select count(*) from {{ ref('split_holdout') }}) as n_holdout_interactions,
        (select count(distinct user_id) from {{ ref('split_holdout') }}) as n_holdout_users,
        (select count(*) from after_cutoff_users where is_cold_start_user = 1) as n_cold_start_users,
        (select coalesce(sum(n_interactions), 0) from after_cutoff_users where is_cold_start_user = 1)
            as n_cold_start_interactions
)

select
    c.cutoff,
    c.cutoff_from,
    n.n_train_interactions,
    n.n_train_users,
    n.n_holdout_interactions,
    n.n_holdout_users,
    n.n_cold_start_users,
    n.n_cold_start_interactions,
    {{ sql_string(cold_start_users()) }} as cold_start_users
from cutoff as c
cross join counts as n
