-- hit_rate@K per user: 1 when the top K holds a relevant item
select candidate, user_id, 'hit_rate' as metric, k, {{ hit_rate_at_k('n_hits') }} as value
from {{ ref('user_ranking_stats') }}
