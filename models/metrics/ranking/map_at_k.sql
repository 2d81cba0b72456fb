-- map@K per user: sum of precision@i over hits at i <= K, / relevant items
select candidate, user_id, 'map' as metric, k, {{ map_at_k('precision_sum', 'n_relevant') }} as value
from {{ ref('user_ranking_stats') }}
