-- precision@K per user: hits in the top K / K
select candidate, user_id, 'precision' as metric, k, {{ precision_at_k('n_hits', 'k') }} as value
from {{ ref('user_ranking_stats') }}
