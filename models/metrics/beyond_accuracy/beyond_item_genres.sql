-- one row per (recommended item, genre) from stg_items (matched on the item id as text),
-- with the item's number of distinct genres; items without genres, or not in stg_items,
-- have no row (the genre metrics leave them out)
{{ config(materialized='table') }}

with item_genre as (
    select distinct cast(item_id as varchar) as item_key, genre
    from (
        select item_id, {{ unnest_list('genres') }} as genre
        from {{ ref('stg_items') }}
    ) as exploded
    where genre is not null and genre <> ''
),

counted as (
    select item_key, genre, count(*) over (partition by item_key) as n_genres
    from item_genre
)

select i.item_id, c.genre, c.n_genres
from counted as c
inner join {{ ref('beyond_items') }} as i on i.item_key = c.item_key
