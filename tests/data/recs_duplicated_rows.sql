-- warns about each (candidate, user_id, item_id) recommended on more than one row, with
-- how many rows (n_rows); recs keeps the best rank of each, so this is a warning only
{{ config(severity='warn') }}

select candidate, user_id, item_id, n_rows, rank as best_rank
from {{ ref('recs_duplicates') }}
