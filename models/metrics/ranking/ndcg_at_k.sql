-- ndcg@K per user: DCG with gain = relevance, / the ideal DCG at K
select candidate, user_id, 'ndcg' as metric, k, {{ ndcg_at_k('dcg', 'ideal_dcg') }} as value
from {{ ref('user_ranking_stats') }}
