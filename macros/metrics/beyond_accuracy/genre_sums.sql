{#- The categories of items and the per-list genre sums that category_diversity, ild and
    calibration_kl read (diversity_calibration.sql); the other building blocks and the
    group_by helpers are in building_blocks.sql. -#}

{#- returns (item_key, genre, n_genres): every category of every item in `items`
    (models/inputs/items.sql: evaluation.items, or the demo's MovieLens genres), the item id
    as text so that it matches ids of any type, with the item's number of distinct
    categories. A category is a (feature, value) pair, written "feature: value", so that two
    columns sharing a value stay two categories. Items without a category have no row. -#}
{% macro catalog_item_genres() -%}
(
    select item_key, genre, count(*) over (partition by item_key) as n_genres
    from (
        select distinct item_id as item_key, feature || ': ' || category as genre
        from {{ ref('items') }}
    ) as item_genre
)
{%- endmacro %}

{#- building block: one row per (candidate[, group_by], user_id, k, genre) of the genres
    in a top K, with cosine_sum = the sum over the list's items with that genre of
    1 / sqrt(the item's genres) (added up exactly, so that two lists of the same items
    give the same sum whatever the order the engine adds in) and weight_sum = the sum of 1 / the item's genres (each
    item spreads weight 1 over its genres). `item_genres` has item_id (as in recs),
    genre, n_genres; items without genres have no row there and count nowhere. -#}
{% macro beyond_genre_sums(recs, item_genres, k_values, group_by=[]) -%}
{%- set ks = cutoffs_text(k_values).split(',') | map('int') | list %}
{%- set g = beyond_groups(group_by) %}
with per_genre as (
    select
        r.candidate{{ beyond_groups(group_by, 'r') }},
        r.user_id,
        ig.genre
        {%- for k in ks %},
        cast(sum({{ exact_term('case when r.rank <= ' ~ k ~ ' then 1.0 / sqrt(ig.n_genres) end') }}) as double)
            as cosine_{{ k }},
        sum(case when r.rank <= {{ k }} then 1.0 / ig.n_genres end) as weight_{{ k }}
        {%- endfor %}
    from {{ recs }} as r
    inner join {{ item_genres }} as ig on ig.item_id = r.item_id
    where r.rank <= {{ ks | max }}
    group by r.candidate{{ beyond_groups(group_by, 'r') }}, r.user_id, ig.genre
),

per_k as (
    select
        candidate{{ g }},
        user_id,
        genre,
        {{ unnest_list(list_literal(ks)) }} as k,
        {{ unnest_list('[' ~ columns_per_k('cosine_', ks) ~ ']') }} as cosine_sum,
        {{ unnest_list('[' ~ columns_per_k('weight_', ks) ~ ']') }} as weight_sum
    from per_genre
)

select * from per_k where weight_sum is not null
{%- endmacro %}
