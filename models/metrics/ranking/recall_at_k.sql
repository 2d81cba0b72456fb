-- recall@K per user: hits in the top K / relevant items
select candidate, user_id, 'recall' as metric, k, {{ recall_at_k('n_hits', 'n_relevant') }} as value
from {{ ref('user_ranking_stats') }}
