-- intersection@K (RecTools' Intersection: how alike two candidates' lists are, neither
-- higher nor lower is better): per ordered pair of candidates (candidate, reference) and
-- K, the mean over the users in labels with a top-K list from `candidate` of the share of
-- its top-K items that the reference's top K also holds (0 when the reference has no list
-- for the user); n_users = those users. A table of its own, not in `metrics`: its rows
-- have a reference candidate. One pass over the rows (the lists' lengths and items), each
-- unordered pair of candidates once, never a row per K before the unnest.
{{ config(materialized='table') }}
{%- set ks = k_values().split(', ') | map('int') | list %}

with top_rows as (
    select candidate, user_id, item_id, rank from {{ ref('beyond_top_rows') }}
),

-- per list, its length at each K and its top-K items gathered into one list value per K,
-- in one pass over the rows. The lists of a user are paired below by a join on the user
-- alone: a join of every row with every row on (user, item) held all the rows in one hash
-- table, which spilled 14 to 25 GB at 1M users x 3 candidates under an 8 GB limit
-- (bench/RESULTS.md)
lists as (
    select
        candidate,
        user_id
        {%- for k in ks %},
        count(case when rank <= {{ k }} then 1 end) as n_items_{{ k }},
        {{ list_where('item_id', 'rank <= ' ~ k) }} as items_{{ k }}
        {%- endfor %}
    from top_rows
    group by candidate, user_id
),

-- the items both lists of a user hold, counted once per unordered pair of candidates (the
-- count is symmetric), then read from either side below
shared_once as (
    select
        a.candidate as candidate_a,
        b.candidate as candidate_b,
        a.user_id
        {%- for k in ks %},
        {{ shared_items('a.items_' ~ k, 'b.items_' ~ k) }} as shared_{{ k }}
        {%- endfor %}
    from lists as a
    inner join lists as b on b.user_id = a.user_id and b.candidate > a.candidate
),

shared as (
    select candidate_a as candidate, candidate_b as reference, user_id{% for k in ks %}, shared_{{ k }}{% endfor %}
    from shared_once
    union all
    select candidate_b as candidate, candidate_a as reference, user_id{% for k in ks %}, shared_{{ k }}{% endfor %}
    from shared_once
),

pairs as (
    select a.candidate, b.candidate as reference
    from {{ ref('evaluated_candidates') }} as a
    cross join {{ ref('evaluated_candidates') }} as b
    where a.candidate <> b.candidate
),

per_user as (
    select
        p.candidate,
        p.reference,
        l.user_id,
        {{ unnest_list(list_literal(ks)) }} as k,
        {{ unnest_list('[' ~ columns_per_k('l.n_items_', ks) ~ ']') }} as n_items,
        {{ unnest_list('[' ~ columns_per_k('s.shared_', ks) ~ ']') }} as n_shared
    from pairs as p
    inner join lists as l on l.candidate = p.candidate
    left join shared as s on s.candidate = p.candidate and s.reference = p.reference and s.user_id = l.user_id
)

select
    candidate,
    reference,
    'intersection' as metric,
    k,
    avg(coalesce(n_shared, 0) * 1.0 / n_items) as value,
    count(*) as n_users
from per_user
where n_items > 0
group by candidate, reference, k
