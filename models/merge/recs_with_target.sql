-- each candidate's lists outer-joined with the labels: one row per recommended or labelled
-- item; an item never recommended within max(k_values) gets rank max(k_values) + 1 and no
-- score, a recommended item without a label gets relevance 0
{%- set unranked = max_k() | int + 1 %}

with recommended as (
    select candidate, user_id, item_id, rank, score
    from {{ ref('recs') }}
    where rank <= {{ max_k() }}
),

labelled as (
    select c.candidate, l.user_id, l.item_id, l.relevance
    from {{ ref('evaluated_candidates') }} as c
    cross join {{ ref('labels') }} as l
),

merged as (
    select
        coalesce(r.candidate, l.candidate) as candidate,
        coalesce(r.user_id, l.user_id) as user_id,
        coalesce(r.item_id, l.item_id) as item_id,
        coalesce(r.rank, {{ unranked }}) as rank,
        r.score,
        coalesce(l.relevance, 0) as relevance,
        r.item_id is not null as is_recommended,
        l.item_id is not null and l.relevance >= {{ rel_threshold() }} as is_relevant
    from recommended as r
    full outer join labelled as l
        on l.candidate = r.candidate and l.user_id = r.user_id and l.item_id = r.item_id
)

select candidate, user_id, item_id, rank, score, relevance, is_recommended, is_relevant
from merged
