-- each user's genre distribution in train (Steck 2018's p(g|u)): every distinct train item
-- with genres (stg_items, matched as text) spreads weight 1 over its genres equally; share
-- = the weight on the genre / the user's train items with genres. user_key is the user
-- id as text. Users without such an item have no row.
{{ config(materialized='table') }}

with item_genres as {{ catalog_item_genres() }},

user_items as (
    select distinct cast(user_id as varchar) as user_key, cast(item_id as varchar) as item_key
    from {{ ref('train') }}
),

weights as (
    select u.user_key, g.genre, sum(1.0 / g.n_genres) as weight
    from user_items as u
    inner join item_genres as g on g.item_key = u.item_key
    group by u.user_key, g.genre
)

select user_key, genre, weight / round(sum(weight) over (partition by user_key)) as share
from weights
