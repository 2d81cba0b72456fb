-- per candidate, relevant user and K: the counts every ranking metric is built from
-- (n_relevant, n_hits, first_hit_rank, precision_sum, dcg and ideal dcg, linear and
-- exponential gain); built from the hits only, so the cost follows hits, not recommendations
{{ config(materialized='table') }}

with cutoffs as (
    select {{ unnest_list(list_literal(k_values().split(', '))) }} as k
),

hits as (
    select candidate, user_id, rank, relevance, hit_index from {{ ref('hits') }}
),

hits_at_k as (
    select
        h.candidate,
        h.user_id,
        c.k,
        count(*) as n_hits,
        min(h.rank) as first_hit_rank,
        sum(cast(h.hit_index as double) / h.rank) as precision_sum,
        sum({{ linear_gain('h.relevance') }} * {{ rank_discount('h.rank') }}) as dcg,
        sum({{ exponential_gain('h.relevance') }} * {{ rank_discount('h.rank') }}) as dcg_exp
    from hits as h
    inner join cutoffs as c on h.rank <= c.k
    group by h.candidate, h.user_id, c.k
),

ideal_at_k as (
    select
        r.user_id,
        c.k,
        sum({{ linear_gain('r.relevance') }} * {{ rank_discount('r.ideal_position') }}) as ideal_dcg,
        sum({{ exponential_gain('r.relevance') }} * {{ rank_discount('r.ideal_position') }}) as ideal_dcg_exp
    from {{ ref('relevant_labels') }} as r
    inner join cutoffs as c on r.ideal_position <= c.k
    group by r.user_id, c.k
),

relevant_users as (
    select user_id, n_relevant from {{ ref('label_users') }} where n_relevant > 0
),

every_user_and_k as (
    select e.candidate, u.user_id, u.n_relevant, c.k
    from {{ ref('evaluated_candidates') }} as e
    cross join relevant_users as u
    cross join cutoffs as c
)

select
    s.candidate,
    s.user_id,
    s.k,
    s.n_relevant,
    coalesce(h.n_hits, 0) as n_hits,
    h.first_hit_rank,
    coalesce(h.precision_sum, 0.0) as precision_sum,
    coalesce(h.dcg, 0.0) as dcg,
    coalesce(h.dcg_exp, 0.0) as dcg_exp,
    i.ideal_dcg,
    i.ideal_dcg_exp
from every_user_and_k as s
inner join ideal_at_k as i on i.user_id = s.user_id and i.k = s.k
left join hits_at_k as h on h.candidate = s.candidate and h.user_id = s.user_id and h.k = s.k
