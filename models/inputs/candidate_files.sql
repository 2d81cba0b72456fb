-- every row of the candidate files listed under evaluation.candidates (duplicates and tied
-- ranks included): candidate, user_id, item_id, rank, score. A table, so each file is read
-- once per build, here, and every model and test after it reads the warehouse: a file
-- rewritten during the build, or moved away after it, changes nothing downstream. A file
-- without a rank column is ranked by score descending, then item_id descending, per user
-- (as text under var conventions: trec_eval; macros/conventions.sql), the checks having
-- read each file's columns beforehand. Ids are cast to the type every input
-- compares them in (input_id: text when any input has text ids).
{{ config(materialized='table') }}
{%- set files = evaluation.candidates or {} %}

{%- if files %}
{%- for name, spec in files.items() %}

select
    {{ candidate_name(name) }} as candidate,
    {{ input_id('user_id') }} as user_id,
    {{ input_id('item_id') }} as item_id,
    {%- if input_has('candidates', 'rank', name) == 'true' %}
    {{ number_or_null('rank') }} as rank,
    {%- else %}
    cast(row_number() over (
        partition by user_id order by {{ number_or_null('score') }} desc, {{ tie_item_key(input_id('item_id')) }} desc
    ) as double) as rank,
    {%- endif %}
    {{ number_or_null('score') }} as score
from {{ read_with_columns(spec.path, ['user_id', 'item_id', 'rank', 'score']) }} as candidate_file
{%- if not loop.last %}
union all
{%- endif %}
{%- endfor %}
{%- else %}

-- no candidate files: an empty relation of the same shape
{{ empty_relation({'candidate': candidate_type(), 'user_id': none, 'item_id': none, 'rank': 'double', 'score': 'double'}) }}
{%- endif %}
