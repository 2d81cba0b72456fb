-- the rows of the lists whose ties recs breaks (var rank_ties: break, the default), each
-- list renumbered 1..n by rank, then score descending, then item_id descending. Usually
-- empty: recs_ties finds the lists where two items share a rank. A table, so the window
-- runs once per build, however many models read recs (a view over the files' rows).
{{ config(materialized='table') }}
{%- if rank_ties() != 'break' or convention('positions') == 'renumbered' %}

-- recs keeps the shared ranks (var rank_ties: error) or renumbers every list itself
{{ empty_relation({'candidate': candidate_type(), 'user_id': none, 'item_id': none, 'rank': 'bigint', 'score': 'double'}) }}
{%- else %}

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
{%- endif %}
