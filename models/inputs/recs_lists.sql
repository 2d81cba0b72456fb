-- one row per list of recs (candidate, user_id): n_rows; to_check, true when a rank
-- rule may be broken in it (usually in none): a row without a rank, a rank below 1, or
-- two rows at one rank; and ranked_one_to_n, true when its ranks are exactly 1..n_rows
-- (then an item's place in the list is its rank, and recs_history needs no window).
-- The rank tests of recs look at the rows of the lists to check only, instead of reading
-- every row of recs once per test, and recs_ties finds the tied ranks there. Describes
-- recs' rows before ties are broken (macros/recs.sql): recs is built after it.
-- A file's list without copies has the same rows here as in candidate_files, so its
-- checks are candidate_file_lists' (one pass over the files' rows for both); only the lists
-- with copies are checked again on their rows once the copies are dropped, and the
-- baselines' lists on theirs.
{{ config(materialized='table') }}

with lists_with_copies as (
    select candidate, user_id
    from {{ ref('candidate_file_lists') }}
    where has_copies
),

rows_to_check as (
    -- the rows of recs in a list with copies (none, usually), then the baselines' rows
    select r.candidate, r.user_id, r.item_id, r.rank
    from {{ recs_rows() }} as r
    semi join lists_with_copies as l on {{ same_list('l', 'r') }}
    union all
    select candidate, user_id, item_id, {{ whole_rank('rank') }} as rank
    from {{ ref('baseline_recs') }}
)

select candidate, user_id, n_rows, to_check, ranked_one_to_n
from {{ ref('candidate_file_lists') }}
where not has_copies
union all
select candidate, user_id, n_rows, to_check, ranked_one_to_n
from {{ list_rank_checks('rows_to_check') }} as checked
