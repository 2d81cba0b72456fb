-- the interactions from the cutoff on, flagged when their user has no train interaction;
-- those cold-start users are kept or dropped by var cold_start_users (keep | drop)
-- the demo's dataset: off when evaluation.labels and evaluation.train are given (nothing reads it then)
{{ config(materialized='table', enabled=not (evaluation.labels and evaluation.train)) }}

with interactions as (
    select user_id, item_id, rating, ts from {{ ref('stg_interactions') }}
),

cutoff as (
    select cutoff from {{ ref('split_cutoff') }}
),

after_cutoff as (
    select i.user_id, i.item_id, i.rating, i.ts
    from interactions as i
    cross join cutoff as c
    where i.ts >= c.cutoff
),

train_users as (
    select distinct user_id from {{ ref('split_train') }}
),

flagged as (
    select
        a.user_id,
        a.item_id,
        a.rating,
        a.ts,
        t.user_id is null as is_cold_start_user
    from after_cutoff as a
    left join train_users as t on t.user_id = a.user_id
)

select user_id, item_id, rating, ts, is_cold_start_user
from flagged
{%- if cold_start_users() == 'drop' %}
where not is_cold_start_user
{%- endif %}
