-- the hits: recommended items within the top max(k_values) that are relevant labels, with
-- their relevance and hit_index (1 = the user's first hit in that candidate's list)
{{ config(materialized='table') }}

with recommended as (
    select candidate, user_id, item_id, rank
    from {{ ref('recs') }}
    where rank <= {{ max_k() }}
),

relevant as (
    select user_id, item_id, relevance from {{ ref('relevant_labels') }}
),

matched as (
    select r.candidate, r.user_id, r.item_id, r.rank, l.relevance
    from recommended as r
    inner join relevant as l on l.user_id = r.user_id and l.item_id = r.item_id
)

select
    candidate,
    user_id,
    item_id,
    rank,
    relevance,
    row_number() over (partition by candidate, user_id order by rank) as hit_index
from matched
