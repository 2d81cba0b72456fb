-- the users every baseline recommends for (the users in labels), with how many distinct
-- items each had in train (0 for a cold-start user)
{{ config(materialized='table', enabled=(evaluation.baselines is none or evaluation.baselines | length > 0)) }}

with label_users as (
    select distinct user_id from {{ ref('labels') }}
),

seen as (
    select user_id, count(distinct item_id) as n_seen
    from {{ ref('train') }}
    group by user_id
)

select u.user_id, coalesce(s.n_seen, 0) as n_seen
from label_users as u
left join seen as s on s.user_id = u.user_id
