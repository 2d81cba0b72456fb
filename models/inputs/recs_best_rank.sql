-- one row per (candidate, user_id, item_id) at the best (smallest) rank it was shown at,
-- with that row's score and n_rows, how many rows it had (more than 1: duplicated); a rank
-- that is not a whole number becomes null (and fails the not_null test of recs)
{{ config(materialized='table') }}
{%- if not (evaluation.candidates or evaluation.baselines is none or evaluation.baselines) %}
{{ raise_error("nothing to evaluate: evaluation.baselines is [] and evaluation.candidates lists no file") }}
{%- endif %}

with baseline_rows as (
    -- the baselines' lists hold every item once by construction
    select candidate, user_id, item_id, rank, score, 1 as n_rows
    from {{ ref('baseline_recs') }}
),

file_rows as (
    select
        candidate,
        user_id,
        item_id,
        min(rank) as rank,
        min_by(score, rank) as score,
        count(*) as n_rows
    from {{ ref('candidate_files') }}
    group by candidate, user_id, item_id
),

best_rank as (
    select candidate, user_id, item_id, rank, score, n_rows from baseline_rows
    union all
    select candidate, user_id, item_id, rank, score, n_rows from file_rows
)

select
    candidate,
    user_id,
    item_id,
    case when rank = floor(rank) then cast(rank as bigint) end as rank,
    score,
    n_rows
from best_rank
