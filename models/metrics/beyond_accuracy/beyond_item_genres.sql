-- one row per (recommended item, genre) from stg_items (matched on the item id as text),
-- with the item's number of distinct genres; items without genres, or not in stg_items,
-- have no row (the genre metrics leave them out)
{{ config(materialized='table') }}

select i.item_id, c.genre, c.n_genres
from {{ catalog_item_genres() }} as c
inner join {{ ref('beyond_items') }} as i on i.item_key = c.item_key
