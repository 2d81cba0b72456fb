-- the rows the beyond-accuracy and classification metrics read, read from recs once: each
-- list's top max(k_values) items (candidate, user_id, item_id, rank, score) for the users
-- in labels, with is_relevant (the item is a relevant label of the user); users only in
-- recs are left out, as for the ranking metrics. The one join with the relevant labels
-- serves serendipity and the classification rows alike.
{{ config(materialized='table') }}

with top_rows as (
    select candidate, user_id, item_id, rank, score
    from {{ ref('recs') }}
    where rank <= {{ max_k() }}
        and user_id in (select user_id from {{ ref('label_users') }})
),

relevant as (
    select user_id, item_id from {{ ref('relevant_labels') }}
)

select t.candidate, t.user_id, t.item_id, t.rank, t.score, r.item_id is not null as is_relevant
from top_rows as t
left join relevant as r on r.user_id = t.user_id and r.item_id = t.item_id
