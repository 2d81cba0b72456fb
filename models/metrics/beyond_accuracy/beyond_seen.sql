-- the (user, item) pairs of train among the users in labels and the recommended items,
-- with the ids as recs has them (matched as text, so train may use other id types)
{{ config(materialized='table') }}

with train_pairs as (
    select distinct cast(user_id as varchar) as user_key, cast(item_id as varchar) as item_key
    from {{ ref('train') }}
),

label_users as (
    select user_id, cast(user_id as varchar) as user_key
    from (select distinct user_id from {{ ref('labels') }}) as users
)

select u.user_id, i.item_id
from train_pairs as t
inner join label_users as u on u.user_key = t.user_key
inner join {{ ref('beyond_items') }} as i on i.item_key = t.item_key
