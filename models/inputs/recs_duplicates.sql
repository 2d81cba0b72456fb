-- one row per (candidate, user_id, item_id) that the candidate files hold on more than one
-- row: n_rows, the best (smallest) rank and that row's score, which recs keeps in place of
-- the copies. Usually empty. Reads candidate_files (the files' rows, read once): per
-- candidate, one pass counts the distinct keys; when there are as many as rows (no
-- duplicate) that is all, otherwise a group by finds the duplicated keys, and only their
-- rows are read again for the best one. The baselines' lists hold every item once by
-- construction.
{{ config(materialized='table') }}
{%- if not (evaluation.candidates or evaluation.baselines is none or evaluation.baselines) %}
{{ raise_error("nothing to evaluate: evaluation.baselines is [] and evaluation.candidates lists no file") }}
{%- endif %}
{%- set files = evaluation.candidates or {} %}

{%- if files %}

{#- the table is read in each step rather than through a shared common table expression,
    which DuckDB could materialize (a copy of every key) -#}
with counts as (
    select candidate, count(*) as n_rows, count(distinct (user_id, item_id)) as n_keys
    from {{ ref('candidate_files') }}
    where user_id is not null and item_id is not null
    group by candidate
),

duplicated as (
    select k.candidate, k.user_id, k.item_id, count(*) as n_rows
    from {{ ref('candidate_files') }} as k
    where k.user_id is not null and k.item_id is not null
        and k.candidate in (select candidate from counts where n_rows > n_keys)
    group by k.candidate, k.user_id, k.item_id
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
