-- precision@K per user: hits in the top K / K; under var conventions evidently (its
-- precision_divisor k_or_rows, macros/conventions.sql) / min(K, the user's recommended items
-- within max(k_values) + its relevant items not among them)
{%- if convention('precision_divisor') == 'k_or_rows' %}
with listed as (
    select candidate, user_id, count(*) as n_listed
    from {{ ref('recs') }}
    where rank <= {{ max_k() }}
    group by candidate, user_id
),

listed_hits as (
    select candidate, user_id, count(*) as n_listed_hits
    from {{ ref('hits') }}
    group by candidate, user_id
)

select
    s.candidate,
    s.user_id,
    'precision' as metric,
    s.k,
    {{ precision_at_k('s.n_hits', 'least(s.k, coalesce(l.n_listed, 0) + s.n_relevant - coalesce(h.n_listed_hits, 0))') }}
        as value
from {{ ref('user_ranking_stats') }} as s
left join listed as l on l.candidate = s.candidate and l.user_id = s.user_id
left join listed_hits as h on h.candidate = s.candidate and h.user_id = s.user_id
{%- else %}
select candidate, user_id, 'precision' as metric, k, {{ precision_at_k('n_hits', 'k') }} as value
from {{ ref('user_ranking_stats') }}
{%- endif %}
