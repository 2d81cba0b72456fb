-- one row per item in some top max(k_values): item_id as recs has it, item_key (the id as
-- text, to match train and stg_items whatever the id types) and n_train (its train
-- interactions, 0 when unseen). Text is matched here, over distinct items only, so the
-- models over every recommendation join on the ids as they are.
{{ config(materialized='table') }}

with recommended as (
    select distinct item_id from {{ ref('beyond_top_rows') }}
),

train_counts as (
    select cast(item_id as varchar) as item_key, count(*) as n_train
    from {{ ref('train') }}
    group by cast(item_id as varchar)
)

select r.item_id, cast(r.item_id as varchar) as item_key, coalesce(t.n_train, 0) as n_train
from recommended as r
left join train_counts as t on t.item_key = cast(r.item_id as varchar)
