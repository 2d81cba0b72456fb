-- one row per list (candidate, user_id) in which two or more items share a rank:
-- n_tied_rows (the rows that share their rank with another), and breakable: true when
-- every rank of the list is a whole number from 1, so that renumbering it (var rank_ties:
-- break) hides nothing another rank test should report. Usually empty. Looks only at the
-- lists recs_lists marks to_check (one aggregate per list found them), never at every row.
{{ config(materialized='table') }}

with checked_rows as (
    select r.candidate, r.user_id, r.rank
    from {{ recs_rows() }} as r
    semi join (select candidate, user_id from {{ ref('recs_lists') }} where to_check) as l
        on {{ same_list('l', 'r') }}
),

per_list as (
    select candidate, user_id, count(*) - count(rank) as n_without_rank, min(rank) as min_rank
    from checked_rows
    group by candidate, user_id
),

shared_ranks as (
    select candidate, user_id, rank, count(*) as n_rows
    from checked_rows
    where rank is not null
    group by candidate, user_id, rank
    having count(*) > 1
)

select
    s.candidate,
    s.user_id,
    sum(s.n_rows) as n_tied_rows,
    p.n_without_rank = 0 and p.min_rank >= 1 as breakable
from shared_ranks as s
inner join per_list as p on {{ same_list('p', 's') }}
group by s.candidate, s.user_id, p.n_without_rank, p.min_rank
