-- one row per (candidate, user_id, item_id) that the candidate files hold on more than one
-- row: n_rows, the best (smallest) rank and that row's score, which recs keeps in place of
-- the copies. Usually empty. Reads candidate_files (the files' rows, read once). A copy
-- always sits in the same list as its item, so the lists come first: candidate_file_lists
-- marks the lists that hold one (has_copies), in the aggregate that checks their ranks,
-- and only their rows are grouped by key. At 1M users and two files of 100M rows finding
-- the lists first took 12.0 s and 3.2 GB where a group by over every key took 18.0 s and
-- 7.2 GB (bench/RESULTS.md); when every list has a copy it costs that group by plus the
-- pass over the lists. The baselines' lists hold every item once by construction.
{{ config(materialized='table') }}
{%- if not (evaluation.candidates or evaluation.baselines is none or evaluation.baselines) %}
{{ raise_error("nothing to evaluate: evaluation.baselines is [] and evaluation.candidates lists no file") }}
{%- endif %}
{%- set files = evaluation.candidates or {} %}

{%- if files %}

with lists_with_copies as (
    select candidate, user_id
    from {{ ref('candidate_file_lists') }}
    where has_copies
)

select
    f.candidate,
    f.user_id,
    f.item_id,
    count(*) as n_rows,
    min(f.rank) as rank,
    min_by(f.score, f.rank) as score
from {{ ref('candidate_files') }} as f
semi join lists_with_copies as l on {{ same_list('l', 'f') }}
where f.item_id is not null
group by f.candidate, f.user_id, f.item_id
having count(*) > 1
{%- else %}

-- no candidate files: no duplicated rows
{{ empty_relation({'candidate': candidate_type(), 'user_id': none, 'item_id': none, 'n_rows': 'bigint',
                  'rank': 'double', 'score': 'double'}) }}
{%- endif %}
