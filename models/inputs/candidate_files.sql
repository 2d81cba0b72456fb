-- every row of the candidate files listed under evaluation.candidates (duplicates included):
-- candidate, user_id, item_id, rank, score; a file with scores and no rank is ranked by
-- score descending, then item_id descending, per user
{%- set files = evaluation.candidates or {} %}
{%- if files %}

with
{%- for name, spec in files.items() %}
{%- set file = 'file_' ~ loop.index %}

{{ file }}_rows as (
    select
        {{ sql_string(name) }} as candidate,
        user_id,
        item_id,
        {{ number_or_null('rank') }} as rank,
        {{ number_or_null('score') }} as score
    from {{ read_with_columns(spec.path, ['user_id', 'item_id', 'rank', 'score']) }} as candidate_file
),

{{ file }}_has_rank as (
    select count(rank) > 0 as has_rank from {{ file }}_rows
),

{{ file }}_ranked as (
    select r.candidate, r.user_id, r.item_id, r.rank, r.score
    from {{ file }}_rows as r
    where (select has_rank from {{ file }}_has_rank)
    union all
    select
        r.candidate,
        r.user_id,
        r.item_id,
        cast(row_number() over (partition by r.user_id order by r.score desc, r.item_id desc) as double) as rank,
        r.score
    from {{ file }}_rows as r
    where not (select has_rank from {{ file }}_has_rank)
){{ "," if not loop.last }}
{%- endfor %}

{% for name in files %}
select candidate, user_id, item_id, rank, score from file_{{ loop.index }}_ranked
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{%- else %}

-- no candidate files: an empty relation of the same shape
select
    cast(null as varchar) as candidate,
    null as user_id,
    null as item_id,
    cast(null as double) as rank,
    cast(null as double) as score
where false
{%- endif %}
