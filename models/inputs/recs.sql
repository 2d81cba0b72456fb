-- the recommendations every metric reads (candidate, user_id, item_id, rank, score): one
-- row per (candidate, user_id, item_id) at its best rank (macros/recs.sql: the rows of
-- candidate_files, each duplicated key's copies replaced by its row of recs_duplicates,
-- and the baselines' lists). Ranks are kept, not renumbered, and a rank that is not a
-- whole number becomes null (and fails the not_null test); with var rank_ties: break (the
-- default) a list whose items share a rank (recs_ties) is taken from recs_ties_broken,
-- renumbered 1..n by rank, then score descending, then item_id descending.
-- A view: the rows are already a table (candidate_files, read once from the files), and a
-- second copy of every row cost more than every reader's pass through the view (at 1M
-- users, 16 s of CPU to copy 100M rows against about 1 s more per reader; bench/RESULTS.md).
-- Under a conventions profile whose positions are renumbered (ranx, trec_eval: they take
-- {user: {item: score}} and know only positions) every list is renumbered 1..n in the same
-- order, so a duplicate's copy leaves no empty rank; that window over every row is built
-- once, as a table.
{%- if convention('positions') == 'renumbered' %}
{{ config(materialized='table') }}

select
    r.candidate,
    r.user_id,
    r.item_id,
    -- a null rank (not a whole number) stays null, and fails recs' not_null test
    case when r.rank is not null then row_number() over (
        partition by r.candidate, r.user_id
        order by r.rank nulls last, r.score desc nulls last, {{ tie_item_key('r.item_id') }} desc
    ) end as rank,
    r.score
from {{ recs_rows() }} as r
{%- elif rank_ties() == 'break' %}
{{ config(materialized='view') }}

-- lists without a tie (all of them, usually) as they are; an explicit anti join, as in
-- macros/recs.sql, only when there is a tie to break
select r.candidate, r.user_id, r.item_id, r.rank, r.score
from {{ recs_rows() }} as r
where not (select count(*) > 0 from {{ ref('recs_ties') }} where breakable)
union all
select r.candidate, r.user_id, r.item_id, r.rank, r.score
from {{ recs_rows() }} as r
anti join (select candidate, user_id from {{ ref('recs_ties') }} where breakable) as t
    on {{ same_list('t', 'r') }}
where (select count(*) > 0 from {{ ref('recs_ties') }} where breakable)
union all
select candidate, user_id, item_id, rank, score
from {{ ref('recs_ties_broken') }}
{%- else %}
{{ config(materialized='view') }}

select candidate, user_id, item_id, rank, score
from {{ recs_rows() }} as recs_rows
{%- endif %}
