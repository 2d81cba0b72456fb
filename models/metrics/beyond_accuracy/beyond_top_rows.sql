-- the rows the beyond-accuracy metrics read, read from recs once: each list's top
-- max(k_values) items (candidate, user_id, item_id, rank) for the users in labels; users only
-- in recs are left out, as for the ranking metrics
{{ config(materialized='table') }}

select candidate, user_id, item_id, rank
from {{ ref('recs') }}
where rank <= {{ max_k() }}
    and user_id in (select user_id from {{ ref('label_users') }})
