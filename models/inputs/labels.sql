-- the labels every metric reads: one row per (user_id, item_id) with its relevance and ts,
-- from evaluation.labels when set (read once, here), else the split's holdout; duplicates
-- keep the highest relevance. Ids in the type every input compares them in (input_id);
-- a file without relevance is implicit feedback: every label relevant, relevance 1
{{ config(materialized='table') }}

with label_rows as (
    {%- if evaluation.labels %}
    select
        {{ input_id('user_id') }} as user_id,
        {{ input_id('item_id') }} as item_id,
        {% if input_has('labels', 'relevance') == 'true' %}{{ number_or_null('relevance') }}{% else %}cast(1 as double){% endif %} as relevance,
        {% if input_has('labels', 'ts') == 'true' %}ts{% else %}cast(null as timestamp){% endif %} as ts
    from {{ read_with_columns(evaluation.labels, ['user_id', 'item_id', 'relevance', 'ts']) }} as labels_file
    {%- else %}
    select {{ input_id('user_id') }} as user_id, {{ input_id('item_id') }} as item_id, relevance, ts
    from {{ ref('holdout_labels') }}
    {%- endif %}
),

one_row_per_item as (
    select user_id, item_id, max(relevance) as relevance, max(ts) as ts
    {%- if convention('label_copies') == 'counted' %}{#- the rows at or above rel_threshold (RecTools) #},
        count(case when relevance >= {{ rel_threshold() }} then 1 end) as copies
    {%- endif %}
    from label_rows
    group by user_id, item_id
)

select user_id, item_id, relevance, ts{% if convention('label_copies') == 'counted' %}, copies{% endif %}
from one_row_per_item
