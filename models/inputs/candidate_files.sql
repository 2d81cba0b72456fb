-- every row of the candidate files listed under evaluation.candidates (duplicates included):
-- candidate, user_id, item_id, rank, score; a file with scores and no rank is ranked by
-- score descending, then item_id descending, per user. A view that reads each file where
-- it is: no common table expression is referenced twice, so none is materialized.
{%- set files = evaluation.candidates or {} %}

{%- macro file_rows(name, path) -%}
(
    select
        {{ sql_string(name) }} as candidate,
        user_id,
        item_id,
        {{ number_or_null('rank') }} as rank,
        {{ number_or_null('score') }} as score
    from {{ read_with_columns(path, ['user_id', 'item_id', 'rank', 'score']) }} as candidate_file
)
{%- endmacro %}

{#- true when the file has ranks: one ranked row tells (a file ranks every row or none) -#}
{%- macro has_rank(name, path) -%}
(select count(*) > 0 from (select 1 from {{ file_rows(name, path) }} as f where f.rank is not null limit 1) as first_ranked)
{%- endmacro %}

{%- if files %}
{%- for name, spec in files.items() %}

select r.candidate, r.user_id, r.item_id, r.rank, r.score
from {{ file_rows(name, spec.path) }} as r
where {{ has_rank(name, spec.path) }}
union all
select
    r.candidate,
    r.user_id,
    r.item_id,
    cast(row_number() over (partition by r.user_id order by r.score desc, r.item_id desc) as double) as rank,
    r.score
from {{ file_rows(name, spec.path) }} as r
where not {{ has_rank(name, spec.path) }}
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}
{%- else %}

-- no candidate files: an empty relation of the same shape
{{ empty_relation({'candidate': 'varchar', 'user_id': none, 'item_id': none, 'rank': 'double', 'score': 'double'}) }}
{%- endif %}
