-- the labels every metric reads: one row per (user_id, item_id) with its relevance and ts,
-- from evaluation.labels when set, else the split's holdout; duplicates keep the highest relevance
{{ config(materialized='table') }}

with label_rows as (
    {%- if evaluation.labels %}
    select user_id, item_id, {{ number_or_null('relevance') }} as relevance, ts
    from {{ read_with_columns(evaluation.labels, ['user_id', 'item_id', 'relevance', 'ts']) }} as labels_file
    {%- else %}
    select user_id, item_id, relevance, ts
    from {{ ref('holdout_labels') }}
    {%- endif %}
),

one_row_per_item as (
    select user_id, item_id, max(relevance) as relevance, max(ts) as ts
    from label_rows
    group by user_id, item_id
)

select user_id, item_id, relevance, ts
from one_row_per_item
