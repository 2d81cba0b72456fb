-- item_cooccurrence: a personalized baseline; each item scores the sum of its co-occurrence
-- counts with the user's cooccurrence_seed_items most recent train items (item_neighbours),
-- ties by popularity; lists are filled up with popular items (score 0)
{{ config(tags=['baseline'], enabled=(evaluation.baselines is none or 'item_cooccurrence' in evaluation.baselines)) }}

with user_items as (
    select t.user_id, t.item_id, max(t.ts) as last_ts
    from {{ ref('train') }} as t
    inner join {{ ref('candidate_users') }} as u on u.user_id = t.user_id
    group by t.user_id, t.item_id
),

recent_items as (
    select user_id, item_id
    from (
        select
            user_id,
            item_id,
            row_number() over (partition by user_id order by last_ts desc, item_id desc) as recency
        from user_items
    ) as ordered
    where recency <= {{ positive_integer_var('cooccurrence_seed_items', 10) }}
),

scored as (
    select r.user_id, n.neighbour_id as item_id, sum(n.n_cooccurrences) as score
    from recent_items as r
    inner join {{ ref('item_neighbours') }} as n on n.item_id = r.item_id
    group by r.user_id, n.neighbour_id
),

popularity as (
    select item_id, popularity_rank from {{ ref('item_popularity') }}
),

popular_fill as (
    select user_id, item_id, pool_position as popularity_rank, 0.0 as score
    from {{ global_ranking_pool(ref('item_popularity'), 'popularity_rank', 'n_interactions') }} as fill
),

pool_rows as (
    select s.user_id, s.item_id, p.popularity_rank, cast(s.score as double) as score
    from scored as s
    inner join popularity as p on p.item_id = s.item_id
    union all
    select user_id, item_id, popularity_rank, score from popular_fill
),

pool as (
    select user_id, item_id, min(popularity_rank) as popularity_rank, max(score) as score
    from pool_rows
    group by user_id, item_id
)

{{ top_unseen_items(pool='pool', candidate='item_cooccurrence', order_by='p.score desc, p.popularity_rank') }}
