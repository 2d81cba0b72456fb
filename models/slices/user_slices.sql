-- every user in labels in every slice (user_id, slice, slice_value): the union of the
-- models tagged slice (activity, tenure, rating_style, the user_attributes file's columns);
-- one row per (user_id, slice)
{{ config(materialized='table') }}
{%- set slice_models = models_tagged('slice') %}

{% for model in slice_models %}
select user_id, slice, cast(slice_value as varchar) as slice_value from {{ ref(model) }}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{%- if not slice_models %}
{{ empty_relation({'user_id': none, 'slice': 'varchar', 'slice_value': 'varchar'}) }}
{%- endif %}
