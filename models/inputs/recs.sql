-- the recommendations every metric reads (candidate, user_id, item_id, rank, score): one
-- row per (candidate, user_id, item_id) at its best rank (macros/recs.sql: the rows of
-- candidate_files, each duplicated key's copies replaced by its row of recs_duplicates,
-- and the baselines' lists). Ranks are kept, not renumbered, and a rank that is not a
-- whole number becomes null (and fails the not_null test); with var rank_ties: break (the
-- default) a list whose items share a rank (recs_ties) is renumbered 1..n by rank, then
-- score descending, then item_id descending. A table: every metric and test reads it,
-- never the files.
-- Under a conventions profile whose positions are renumbered (ranx, trec_eval: they take
-- {user: {item: score}} and know only positions) every list is renumbered 1..n in the same
-- order, so a duplicate's copy leaves no empty rank.
{{ config(materialized='table') }}
{%- if convention('positions') == 'renumbered' %}

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
select
    r.candidate,
    r.user_id,
    r.item_id,
    row_number() over (
        partition by r.candidate, r.user_id order by r.rank, r.score desc nulls last, {{ tie_item_key('r.item_id') }} desc
    ) as rank,
    r.score
from {{ recs_rows() }} as r
semi join (select candidate, user_id from {{ ref('recs_ties') }} where breakable) as t
    on {{ same_list('t', 'r') }}
{%- else %}

select candidate, user_id, item_id, rank, score
from {{ recs_rows() }} as recs_rows
{%- endif %}
