-- one row per list of the candidate files (candidate, user_id), from one pass over every
-- row of candidate_files: n_rows, to_check and ranked_one_to_n as recs_lists has them, and
-- has_copies, true when the list holds an item on more than one row (usually in none).
-- recs_duplicates groups by key only the rows of the lists with copies, and recs_lists
-- takes every other list's checks from here: the duplicates and the rank rules are found
-- in the same aggregate instead of two passes over every row with the same grouping.
{{ config(materialized='table') }}

select * from {{ list_rank_checks(
    "(select candidate, user_id, item_id, " ~ whole_rank('rank') ~ " as rank from " ~ ref('candidate_files') ~ ")",
    find_copies=true) }} as checked
