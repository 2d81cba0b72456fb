-- the holdout as labels: relevance = rating, ranked per user by rating then recency
-- (rating_rank 1 = the user's best and latest), relevant when relevance >= rel_threshold
-- the demo's dataset: off when evaluation.labels and evaluation.train are given (nothing reads it then)
{{ config(materialized='table', enabled=not (evaluation.labels and evaluation.train)) }}

with holdout as (
    select user_id, item_id, rating, ts from {{ ref('split_holdout') }}
),

ranked as (
    select
        user_id,
        item_id,
        rating as relevance,
        ts,
        row_number() over (partition by user_id order by rating desc, ts desc, item_id) as rating_rank
    from holdout
)

select
    user_id,
    item_id,
    relevance,
    ts,
    rating_rank,
    relevance >= {{ rel_threshold() }} as is_relevant
from ranked
