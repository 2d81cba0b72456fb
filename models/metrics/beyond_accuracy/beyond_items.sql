-- one row per item in some top max(k_values): item_id as recs has it, item_key (the id as
-- text, to match train and stg_items whatever the id types), n_train (its train
-- interactions, 0 when unseen), n_train_users (the distinct train users who had it, 0
-- when unseen), popularity_rank (1 = the most interacted with in train, equal counts
-- share a rank; null when unseen) and is_tail: in the long tail, i.e. among the floor(long_tail_ratio x
-- train items) (at least 1) least interacted with train items (ties: item_key
-- ascending), or unseen in train. Text is matched here, over distinct items only, so the
-- models over every recommendation join on the ids as they are.
{{ config(materialized='table') }}

with recommended as (
    select distinct item_id from {{ ref('beyond_top_rows') }}
),

-- grouped on the ids as train has them, then made text once per item: two different
-- values of one column never read as the same text, so the groups and the distinct users
-- are the same as on text, without casting every train row twice
train_counts as (
    select
        cast(item_id as varchar) as item_key,
        n_train,
        n_train_users
    from (
        select item_id, count(*) as n_train, count(distinct user_id) as n_train_users
        from {{ ref('train') }}
        group by item_id
    ) as per_item
),

train_ranks as (
    select
        item_key,
        n_train,
        n_train_users,
        row_number() over (order by n_train, item_key) as popularity_position,
        dense_rank() over (order by n_train desc) as popularity_rank,
        count(*) over () as n_train_items
    from train_counts
)

select
    r.item_id,
    cast(r.item_id as varchar) as item_key,
    coalesce(t.n_train, 0) as n_train,
    coalesce(t.n_train_users, 0) as n_train_users,
    t.popularity_rank,
    t.item_key is null
        or t.popularity_position <= greatest(floor(t.n_train_items * cast({{ long_tail_ratio() }} as double)), 1) as is_tail
from recommended as r
left join train_ranks as t on t.item_key = cast(r.item_id as varchar)
