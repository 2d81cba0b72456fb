-- ndcg_exp@K per user: DCG with gain 2^relevance - 1, / the ideal DCG at K
select candidate, user_id, 'ndcg_exp' as metric, k, {{ ndcg_at_k('dcg_exp', 'ideal_dcg_exp') }} as value
from {{ ref('user_ranking_stats') }}
