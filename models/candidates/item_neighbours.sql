-- for each train item, its strongest co-occurring items: two items co-occur when one user
-- had both at most cooccurrence_window interactions apart in time; the cooccurrence_neighbours
-- most frequent partners are kept (ties by neighbour_id)
{{ config(materialized='table', enabled=(evaluation.baselines is none or 'item_cooccurrence' in evaluation.baselines)) }}

with user_items as (
    select user_id, item_id, min(ts) as first_ts
    from {{ baseline_train() }} as learned
    group by user_id, item_id
),

timeline as (
    select
        user_id,
        item_id,
        row_number() over (partition by user_id order by first_ts, item_id) as timeline_position
    from user_items
),

distances as (
    select {{ unnest_list(integer_range(1, positive_integer_var('cooccurrence_window', 10))) }} as distance
),

later_positions as (
    select t.user_id, t.item_id, t.timeline_position + d.distance as later_position
    from timeline as t
    cross join distances as d
),

pairs as (
    select a.item_id, b.item_id as neighbour_id
    from later_positions as a
    inner join timeline as b
        on b.user_id = a.user_id
        and b.timeline_position = a.later_position
),

both_directions as (
    select item_id, neighbour_id from pairs
    union all
    select neighbour_id as item_id, item_id as neighbour_id from pairs
),

counted as (
    select item_id, neighbour_id, count(*) as n_cooccurrences
    from both_directions
    group by item_id, neighbour_id
),

ranked as (
    select
        item_id,
        neighbour_id,
        n_cooccurrences,
        row_number() over (partition by item_id order by n_cooccurrences desc, neighbour_id) as neighbour_rank
    from counted
)

select item_id, neighbour_id, n_cooccurrences, neighbour_rank
from ranked
where neighbour_rank <= {{ positive_integer_var('cooccurrence_neighbours', 50) }}
