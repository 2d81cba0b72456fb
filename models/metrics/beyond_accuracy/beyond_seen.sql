-- per user in labels, the recommended items (beyond_items) the user had in train, as one
-- sorted list, with the ids as recs has them.
-- One row per user, not per pair: beyond_recs looks a row's item up in its user's list.
-- Joined per (user, item), the 1B recommendation rows at 10M users met a hash table of
-- all 202M train pairs (about 8 GB by our estimate: the whole of an 8 GB memory limit);
-- joined per user, the table has 10M rows (a list of 20 items on average).
{{ config(materialized='table') }}

-- Matched on the ids as they are: train, labels and recs hold ids of types that compare
-- (models/inputs/ make every input's ids text when one input file has text ids). Cast to
-- text on all 202M train rows at 10M users, the distinct pairs were hashed as text.
with train_pairs as (
    select distinct user_id, item_id
    from {{ ref('train') }}
),

label_users as (
    select distinct user_id from {{ ref('labels') }}
)

select u.user_id, list_sort(list(i.item_id)) as seen_items
from train_pairs as t
inner join label_users as u on u.user_id = t.user_id
inner join {{ ref('beyond_items') }} as i on i.item_id = t.item_id
group by u.user_id
