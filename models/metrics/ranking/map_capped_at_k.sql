-- map_capped@K per user: sum of precision@i over hits at i <= K, / min(K, relevant items)
select candidate, user_id, 'map_capped' as metric, k, {{ map_capped_at_k('precision_sum', 'n_relevant', 'k') }} as value
from {{ ref('user_ranking_stats') }}
