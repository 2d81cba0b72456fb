-- the recommendations every metric reads (candidate, user_id, item_id, rank, score): one
-- row per (candidate, user_id, item_id) at its best rank; ranks are kept, not renumbered
select candidate, user_id, item_id, rank, score
from {{ ref('recs_best_rank') }}
