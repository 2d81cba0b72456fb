-- the relevant labels (relevance >= rel_threshold), each with its position in the user's
-- ideal list (relevance descending), which the ideal DCG is computed from. A view: hits
-- reads the labels only (the position is not computed for it), user_ranking_stats the
-- positions, once; storing every relevant label would cost more than either

{% set copies = ', copies' if convention('label_copies') == 'counted' else '' %}

with relevant as (
    select user_id, item_id, relevance{{ copies }}
    from {{ ref('labels') }}
    where relevance >= {{ rel_threshold() }}
)

select
    user_id,
    item_id,
    relevance{{ copies }},
    row_number() over (partition by user_id order by relevance desc, item_id) as ideal_position
from relevant
