-- one row per train item: interactions in all of train and in its last recent_days days,
-- the global rankings by each (ties by item_id), and a dense catalog index from 0
{{ config(materialized='table', enabled=(evaluation.baselines is none or evaluation.baselines | length > 0)) }}

with train as (
    select item_id, ts from {{ baseline_train() }} as learned
),

recent_window as (
    select {{ days_before('max(ts)', positive_integer_var('recent_days', 30)) }} as recent_after
    from train
),

counts as (
    select
        t.item_id,
        count(*) as n_interactions,
        count(case when t.ts > w.recent_after then 1 end) as n_recent
    from train as t
    cross join recent_window as w
    group by t.item_id
)

select
    item_id,
    n_interactions,
    n_recent,
    row_number() over (order by n_interactions desc, item_id) as popularity_rank,
    row_number() over (order by n_recent desc, n_interactions desc, item_id) as recent_rank,
    row_number() over (order by item_id) - 1 as catalog_index
from counts
