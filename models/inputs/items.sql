-- the item features the genre metrics read (ild, category_diversity, calibration_kl): one row
-- per (item_id, feature, category), item_id as text so that it matches ids of any type.
-- From evaluation.items when set: every column but item_id is a categorical feature, a list
-- column gives one category per element, a text cell is split on evaluation.items_delimiter
-- ('|' by default; null keeps the cell whole); empty and null values give no row. Without it,
-- the demo's MovieLens genres (stg_items) only when the labels are the split of the seeds:
-- your own labels are your own items, which the seeds' genres do not describe, so then the
-- genre metrics have no rows. Read once here, into a table.
{{ config(materialized='table') }}

with features as (
    {#- evaluation['items'], not evaluation.items: that would be the mapping's items() method #}
    {%- if evaluation['items'] %}
    {{ item_features_from_file(evaluation['items'], evaluation.items_delimiter) }}
    {%- elif not evaluation.labels %}
    select cast(item_id as varchar) as item_id, 'genres' as feature, {{ unnest_list('genres') }} as category
    from {{ ref('stg_items') }}
    {%- else %}
    {{ empty_relation({'item_id': 'varchar', 'feature': 'varchar', 'category': 'varchar'}) }}
    {%- endif %}
)

select distinct item_id, feature, trim(category) as category
from features
where item_id is not null and category is not null and trim(category) <> ''
