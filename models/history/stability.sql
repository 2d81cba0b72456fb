-- How much each candidate's lists moved since its previous snapshot in recs_history: per
-- candidate and k, the latest build (build_id) against the candidate's latest earlier one
-- (previous_build_id): mean jaccard and rbo (p = 0.9) over the users with a top-K list in
-- either build, the share of them whose top K changed, and the PSI and KS statistic of the
-- top-K scores. No row for a candidate without an earlier snapshot (a first build).
{{ config(materialized='table') }}

with candidate_builds as (
    select candidate, build_id, max(built_at) as built_at
    from {{ ref('recs_history') }}
    group by candidate, build_id
),

current_build as (
    select build_id, built_at
    from candidate_builds
    order by built_at desc, build_id desc
    limit 1
),

earlier_builds as (
    select
        b.candidate,
        n.build_id,
        b.build_id as previous_build_id,
        row_number() over (partition by b.candidate order by b.built_at desc, b.build_id desc) as recency
    from candidate_builds as b
    cross join current_build as n
    where b.build_id <> n.build_id
        and b.built_at <= n.built_at
        and b.candidate in (select candidate from candidate_builds as c where c.build_id = n.build_id)
),

pairs as (
    select candidate, build_id, previous_build_id from earlier_builds where recency = 1
),

-- the two snapshots are read where each is needed, not held in memory: a build's rows sit
-- together in recs_history, so each read skips the other builds' row groups
previous_rows as not materialized (
    select h.candidate, h.user_id, h.item_id, h.rank, h.position, h.score
    from {{ ref('recs_history') }} as h
    inner join pairs as p on p.candidate = h.candidate and p.previous_build_id = h.build_id
),

current_rows as not materialized (
    select h.candidate, h.user_id, h.item_id, h.rank, h.position, h.score
    from {{ ref('recs_history') }} as h
    inner join pairs as p on p.candidate = h.candidate and p.build_id = h.build_id
),

lists as (
    {{ list_stability_at_k('previous_rows', 'current_rows', k_values()) }}
),

psi as (
    {{ score_psi_at_k('previous_rows', 'current_rows', k_values()) }}
),

ks as (
    {{ score_ks_at_k('previous_rows', 'current_rows', k_values()) }}
)

select
    p.candidate,
    p.build_id,
    p.previous_build_id,
    cast(l.k as integer) as k,
    l.jaccard,
    l.rbo,
    l.changed_users_share,
    psi.score_psi,
    ks.score_ks,
    l.n_users
from pairs as p
inner join lists as l on l.candidate = p.candidate
left join psi on psi.candidate = l.candidate and psi.k = l.k
left join ks on ks.candidate = l.candidate and ks.k = l.k
order by p.candidate, l.k
