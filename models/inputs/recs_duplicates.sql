-- one row per (candidate, user_id, item_id) that the candidate files hold on more than one
-- row: n_rows, the best (smallest) rank and that row's score, which recs keeps in place of
-- the copies. Usually empty. Reads candidate_files (the files' rows, read once): one group
-- by over the keys keeps those held more than once, and only their rows are read again
-- for the best one. That group by is the whole cost (a hash over every key); a distinct
-- count first, to skip it when there is no duplicate, cost twice as much CPU at 1M users
-- (bench/RESULTS.md). The baselines' lists hold every item once by construction.
{{ config(materialized='table') }}
{%- if not (evaluation.candidates or evaluation.baselines is none or evaluation.baselines) %}
{{ raise_error("nothing to evaluate: evaluation.baselines is [] and evaluation.candidates lists no file") }}
{%- endif %}
{%- set files = evaluation.candidates or {} %}

{%- if files %}

with duplicated as (
    select candidate, user_id, item_id, count(*) as n_rows
    from {{ ref('candidate_files') }}
    where user_id is not null and item_id is not null
    group by candidate, user_id, item_id
    having count(*) > 1
)

select
    f.candidate,
    f.user_id,
    f.item_id,
    d.n_rows,
    min(f.rank) as rank,
    min_by(f.score, f.rank) as score
from {{ ref('candidate_files') }} as f
inner join duplicated as d on d.candidate = f.candidate and d.user_id = f.user_id and d.item_id = f.item_id
group by f.candidate, f.user_id, f.item_id, d.n_rows
{%- else %}

-- no candidate files: no duplicated rows
{{ empty_relation({'candidate': 'varchar', 'user_id': none, 'item_id': none, 'n_rows': 'bigint',
                  'rank': 'double', 'score': 'double'}) }}
{%- endif %}
