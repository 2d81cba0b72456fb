-- rbp@K per user (higher is better): rank-biased precision, (1 - p) * the sum over hits at
-- rank i <= K of p^(i - 1), p = var rbp_persistence (default 0.8); binary relevance
select candidate, user_id, 'rbp' as metric, k, {{ rbp_at_k('rbp_sum', rbp_persistence()) }} as value
from {{ ref('user_ranking_stats') }}
