-- recall@k averaged over users for every k from 1 to max(k_values), per candidate: the
-- curve behind the recall rows of metrics, from a running sum over the ranks of the hits
{{ config(materialized='table') }}

with recall_by_rank as (
    select h.candidate, h.rank, sum(1.0 / u.n_relevant) as recall_sum
    from {{ ref('hits') }} as h
    inner join {{ ref('label_users') }} as u on u.user_id = h.user_id
    group by h.candidate, h.rank
),

cutoffs as (
    select c.candidate, {{ unnest_list(integer_range(1, max_k())) }} as k
    from {{ ref('evaluated_candidates') }} as c
),

running as (
    select
        c.candidate,
        c.k,
        sum(coalesce(r.recall_sum, 0.0)) over (
            partition by c.candidate order by c.k rows between unbounded preceding and current row
        ) as recall_sum
    from cutoffs as c
    left join recall_by_rank as r on r.candidate = c.candidate and r.rank = c.k
),

users as (
    select n_users from {{ ref('evaluated_users') }}
)

select
    r.candidate,
    cast(r.k as integer) as k,
    case when u.n_users > 0 then r.recall_sum / u.n_users end as recall
from running as r
cross join users as u
