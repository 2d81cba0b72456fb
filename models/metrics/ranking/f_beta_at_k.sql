-- f_beta@K per user: F-beta of precision@K and recall@K (var beta), 0 when both are 0
select candidate, user_id, 'f_beta' as metric, k, {{ f_beta_at_k('n_hits', 'n_relevant', 'k', beta()) }} as value
from {{ ref('user_ranking_stats') }}
