-- per user in labels, the recommended items (beyond_items) the user had in train, as one
-- sorted list, with the ids as recs has them (matched as text, so train may use other id types).
-- One row per user, not per pair: beyond_recs looks a row's item up in its user's list.
-- Joined per (user, item), the 1B recommendation rows at 10M users met a hash table of
-- all 202M train pairs (about 8 GB by our estimate: the whole of an 8 GB memory limit);
-- joined per user, the table has 10M rows (a list of 20 items on average).
{{ config(materialized='table') }}

with train_pairs as (
    select distinct cast(user_id as varchar) as user_key, cast(item_id as varchar) as item_key
    from {{ ref('train') }}
),

label_users as (
    select user_id, cast(user_id as varchar) as user_key
    from (select distinct user_id from {{ ref('labels') }}) as users
)

select u.user_id, list_sort(list(i.item_id)) as seen_items
from train_pairs as t
inner join label_users as u on u.user_key = t.user_key
inner join {{ ref('beyond_items') }} as i on i.item_key = t.item_key
group by u.user_id
