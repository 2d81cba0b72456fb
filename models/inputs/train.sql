-- the training interactions the baselines learn from (user_id, item_id, rating, ts): the
-- split's train, or the user's own file when evaluation.train and evaluation.labels are set
{{ config(materialized='table') }}
{%- if evaluation.train and not evaluation.labels %}
{{ raise_error("evaluation.train is set without evaluation.labels: give both (your own train and held-out labels), or neither to use the split") }}
{%- endif %}

with interactions as (
    {%- if evaluation.train %}
    select user_id, item_id, rating, ts
    from {{ read_with_columns(evaluation.train, ['user_id', 'item_id', 'rating', 'ts']) }} as train_file
    {%- else %}
    select user_id, item_id, rating, ts
    from {{ ref('split_train') }}
    {%- endif %}
)

select user_id, item_id, rating, ts
from interactions
