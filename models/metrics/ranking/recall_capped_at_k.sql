-- recall_capped@K per user: hits in the top K / min(K, relevant items)
select candidate, user_id, 'recall_capped' as metric, k, {{ recall_capped_at_k('n_hits', 'n_relevant', 'k') }} as value
from {{ ref('user_ranking_stats') }}
