-- the hits: recommended items within the top max(k_values) that are relevant labels, with
-- their relevance and hit_index (1 = the user's first hit in that candidate's list)
{{ config(materialized='table') }}
{%- set copies = ', copies' if convention('label_copies') == 'counted' else '' %}

with recommended as (
    select candidate, user_id, item_id, rank
    from {{ ref('recs') }}
    where rank <= {{ max_k() }}
),

relevant as (
    select user_id, item_id, relevance{{ copies }} from {{ ref('relevant_labels') }}
),

matched as (
    select r.candidate, r.user_id, r.item_id, r.rank, l.relevance{{ copies | replace(', ', ', l.') }}
    from recommended as r
    inner join relevant as l on l.user_id = r.user_id and l.item_id = r.item_id
)

select
    candidate,
    user_id,
    item_id,
    rank,
    relevance,
    {%- if copies %}
    copies,
    -- the conventions rule label_copies counted: the relevant rows up to this rank
    sum(copies) over (partition by candidate, user_id order by rank rows between unbounded preceding and current row)
        as hit_index
    {%- else %}
    row_number() over (partition by candidate, user_id order by rank) as hit_index
    {%- endif %}
from matched
