-- random: per user, a seeded walk through the train catalog that visits every item once
-- (item index = offset + position x stride modulo the catalog size, with a stride coprime
-- to the size); deterministic for a given random_seed; the floor every model should beat
{{ config(tags=['baseline'], enabled=(evaluation.baselines is none or 'random' in evaluation.baselines)) }}
{%- set seed = var('random_seed', 42) %}

with catalog as (
    select item_id, catalog_index from {{ ref('item_popularity') }}
),

catalog_size as (
    select count(*) as n_items from catalog
),

strides as (
    select stride, row_number() over (order by stride) - 1 as stride_index
    from (
        select {{ unnest_list(integer_range(1, 'n_items')) }} as stride, n_items
        from catalog_size
    ) as candidates
    where {{ greatest_common_divisor('stride', 'n_items') }} = 1
),

stride_count as (
    select count(*) as n_strides from strides
),

user_walks as (
    select
        u.user_id,
        least({{ positions_needed('u.n_seen') }}, c.n_items) as n_positions,
        c.n_items,
        cast({{ stable_hash(sql_string(seed), 'u.user_id', "'offset'") }} % c.n_items as bigint) as walk_offset,
        cast({{ stable_hash(sql_string(seed), 'u.user_id', "'stride'") }} % s.n_strides as bigint) as stride_index
    from {{ ref('candidate_users') }} as u
    cross join catalog_size as c
    cross join stride_count as s
),

positions as (
    select
        w.user_id,
        w.n_items,
        w.walk_offset,
        s.stride,
        {{ unnest_list(integer_range(1, 'w.n_positions')) }} as pool_position
    from user_walks as w
    inner join strides as s on s.stride_index = w.stride_index
),

walk as (
    select
        p.user_id,
        c.item_id,
        p.pool_position,
        1.0 / p.pool_position as score
    from positions as p
    inner join catalog as c
        on c.catalog_index = (p.walk_offset + (p.pool_position - 1) * p.stride) % p.n_items
)

{{ top_unseen_items(pool='walk', candidate='random', order_by='pool_position') }}
