-- one row per (candidate, user_id, item_id) that the candidate files hold on more than one
-- row: n_rows, the best (smallest) rank and that row's score, which recs keeps in place of
-- the copies. Usually empty. Per file, one pass counts the distinct keys: when there are
-- as many as rows (no duplicate), that is all; otherwise a group by finds the duplicated
-- keys, and only their rows are read again for the best one. The baselines' lists hold
-- every item once by construction.
{{ config(materialized='table') }}
{%- if not (evaluation.candidates or evaluation.baselines is none or evaluation.baselines) %}
{{ raise_error("nothing to evaluate: evaluation.baselines is [] and evaluation.candidates lists no file") }}
{%- endif %}
{%- set files = evaluation.candidates or {} %}

{#- the (user_id, item_id) of a file's rows, read from the file itself: going through
    candidate_files (the union of every file) would plan every file once per file, which
    grows with the square of the number of files. A macro, not a common table expression,
    so that it is read where it is and never materialized -#}
{%- macro keys_of(path) -%}
(
    select user_id, item_id
    from {{ read_with_columns(path, ['user_id', 'item_id']) }} as candidate_file
    where user_id is not null and item_id is not null
)
{%- endmacro %}

{%- if files %}

with
{%- for name, spec in files.items() %}

has_duplicates_{{ loop.index }} as (
    select
        (select count(*) from {{ keys_of(spec.path) }} as file_rows)
        > (select count(*) from (select distinct user_id, item_id from {{ keys_of(spec.path) }} as file_rows) as file_keys)
        as has_duplicates
),

duplicated_in_file_{{ loop.index }} as (
    select user_id, item_id, count(*) as n_rows
    from {{ keys_of(spec.path) }} as file_rows
    where (select has_duplicates from has_duplicates_{{ loop.index }})
    group by user_id, item_id
    having count(*) > 1
),
{%- endfor %}

duplicated as (
    {%- for name in files %}
    select {{ sql_string(name) }} as candidate, user_id, item_id, n_rows from duplicated_in_file_{{ loop.index }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
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
