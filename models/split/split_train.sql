-- the interactions before the cutoff: what the baselines learn from
-- the demo's dataset: off when evaluation.labels and evaluation.train are given (nothing reads it then)
{{ config(enabled=not (evaluation.labels and evaluation.train)) }}
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
