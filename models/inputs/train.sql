-- the training interactions the baselines learn from (user_id, item_id, rating, ts): the
-- split's train, or the user's own file (read once, here) when evaluation.train and
-- evaluation.labels are set. Ids in the type every input compares them in (input_id); a
-- file without ts or rating gets typed null columns, so what needs time or ratings finds
-- none instead of failing on an untyped null (popular_recent and bias are then left out)
{{ config(materialized='table') }}
{%- if evaluation.train and not evaluation.labels %}
{{ raise_error("evaluation.train is set without evaluation.labels: give both (your own train and held-out labels), or neither to use the split") }}
{%- endif %}

with interactions as (
    {%- if evaluation.train %}
    select
        {{ input_id('user_id') }} as user_id,
        {{ input_id('item_id') }} as item_id,
        {% if input_has('train', 'rating') == 'true' %}rating{% else %}cast(null as double){% endif %} as rating,
        {% if input_has('train', 'ts') == 'true' %}ts{% else %}cast(null as timestamp){% endif %} as ts
    from {{ read_with_columns(evaluation.train, ['user_id', 'item_id', 'rating', 'ts']) }} as train_file
    {%- else %}
    select {{ input_id('user_id') }} as user_id, {{ input_id('item_id') }} as item_id, rating, ts
    from {{ ref('split_train') }}
    {%- endif %}
)

select user_id, item_id, rating, ts
from interactions
