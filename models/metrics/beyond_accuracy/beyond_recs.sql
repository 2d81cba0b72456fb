-- beyond_top_rows with what the per-list sums need of each row: the item's train
-- interactions (n_train, 0 when unseen), its train users (n_train_users) and popularity
-- rank (popularity_rank), whether it is
-- in the long tail (is_tail), whether the user had it in train (is_seen) and whether it is
-- a relevant label of the user (is_relevant).
-- A view: only beyond_list_stats reads every column, in its one pass.
{{ config(materialized='view') }}

select
    r.candidate,
    r.user_id,
    r.item_id,
    r.rank,
    i.n_train,
    i.n_train_users,
    i.popularity_rank,
    i.is_tail,
    r.is_relevant,
    coalesce(list_contains(s.seen_items, r.item_id), false) as is_seen
from {{ ref('beyond_top_rows') }} as r
inner join {{ ref('beyond_items') }} as i on i.item_id = r.item_id
-- per user, not per (user, item): see beyond_seen
left join {{ ref('beyond_seen') }} as s on s.user_id = r.user_id
