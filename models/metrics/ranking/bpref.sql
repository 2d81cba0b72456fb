-- bpref per user (higher is better; k null: no cut-off), trec_eval's: the mean over the
-- user's R relevant items of 1 - min(n, R) / min(R, N) for a retrieved one (1 when n = 0),
-- 0 for one not retrieved; n = the judged non-relevant items ranked above it, N = the
-- user's judged non-relevant items (labels below rel_threshold). Unlabelled items count
-- for nothing. Lists are read up to max(k_values), as every ranking metric.
-- A table, where the other ranking metrics are views: it is the one that reads every row of
-- recs, and inside the query of `metrics` (which computes the views) its join of recs with
-- the labels spilled 30 GB at 10M users under an 8 GB limit; alone, 23 s and no spill
-- (bench/RESULTS.md)
{{ config(materialized='table') }}

with judged_misses as (
    -- the recommended items labelled below rel_threshold (or without a relevance)
    select r.candidate, r.user_id, r.rank
    from {{ ref('recs') }} as r
    inner join {{ ref('labels') }} as l on l.user_id = r.user_id and l.item_id = r.item_id
    where r.rank <= {{ max_k() }}
        and not coalesce(l.relevance >= {{ rel_threshold() }}, false)
),

judged as (
    select candidate, user_id, rank, 1 as is_hit from {{ ref('hits') }}
    union all
    select candidate, user_id, rank, 0 as is_hit from judged_misses
),

misses_above as (
    -- ranks are unique within a list, so a hit's running count holds only the misses above it
    select
        candidate,
        user_id,
        is_hit,
        sum(1 - is_hit) over (
            partition by candidate, user_id order by rank rows between unbounded preceding and current row
        ) as n_above
    from judged
),

sums as (
    select
        m.candidate,
        m.user_id,
        sum({{ bpref_term('m.n_above', 'u.n_relevant', 'u.n_labels - u.n_relevant') }}) as bpref_sum
    from misses_above as m
    inner join {{ ref('label_users') }} as u on u.user_id = m.user_id
    where m.is_hit = 1
    group by m.candidate, m.user_id
)

select
    e.candidate,
    u.user_id,
    'bpref' as metric,
    cast(null as integer) as k,
    coalesce(s.bpref_sum, 0.0) / u.n_relevant as value
{{ scored_user_rows('sums', 's') }}
