-- warns, per candidate, about the lists in which items shared a rank and how many rows
-- they were (recs_ties); with var rank_ties: break (the default) recs holds those lists
-- renumbered, so this is a warning only. With rank_ties: error, recs_rank_unique_per_list
-- fails instead.
{{ config(severity='warn') }}

select
    candidate,
    count(*) as n_lists,
    sum(n_tied_rows) as n_tied_rows,
    'ties broken by score descending, then item_id descending; set var rank_ties: error to fail instead' as what_to_do
from {{ ref('recs_ties') }}
where breakable and {{ 'true' if rank_ties() == 'break' else 'false' }}
group by candidate
