-- mrr@K per user: 1 / rank of the first hit within K, else 0
select candidate, user_id, 'mrr' as metric, k, {{ mrr_at_k('first_hit_rank') }} as value
from {{ ref('user_ranking_stats') }}
