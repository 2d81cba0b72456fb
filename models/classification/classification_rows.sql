-- the rows the classification metrics score: every recommended item (rank <= max(k_values))
-- that has a score, of a user in labels, with is_relevant (the item is a relevant label)
-- as the class; the merged rows of recs_with_target, less the lists of users without labels
{{ config(materialized='table') }}

with scored as (
    select candidate, user_id, score, is_relevant
    from {{ ref('recs_with_target') }}
    where is_recommended and score is not null
),

label_users as (
    select user_id from {{ ref('label_users') }}
)

select s.candidate, s.user_id, s.score, s.is_relevant
from scored as s
where s.user_id in (select user_id from label_users)
