-- the interactions before the cutoff: what the baselines learn from
with interactions as (
    select user_id, item_id, rating, ts from {{ ref('stg_interactions') }}
),

cutoff as (
    select cutoff from {{ ref('split_cutoff') }}
)

select i.user_id, i.item_id, i.rating, i.ts
from interactions as i
cross join cutoff as c
where i.ts < c.cutoff
