-- the rows the classification metrics score: every recommended item (rank <= max(k_values))
-- that has a score, of a user in labels, with is_relevant (the item is a relevant label)
-- as the class. The rows of recs_with_target with is_recommended, read the short way: recs
-- left-joined with the relevant labels (the full outer join with every label would add
-- rows only to drop them).
{{ config(materialized='table') }}

with scored as (
    select candidate, user_id, item_id, score
    from {{ ref('recs') }}
    where rank <= {{ max_k() }} and score is not null
        and user_id in (select user_id from {{ ref('label_users') }})
),

relevant as (
    select user_id, item_id from {{ ref('relevant_labels') }}
)

select s.candidate, s.user_id, s.score, r.item_id is not null as is_relevant
from scored as s
left join relevant as r on r.user_id = s.user_id and r.item_id = s.item_id
