-- one row per user in labels: how many labels and how many relevant ones (0 for a user
-- whose labels are all below rel_threshold)
{{ config(materialized='table') }}
{%- set counted = convention('label_copies') == 'counted' %}

with labels as (
    select user_id, relevance{% if counted %}, copies{% endif %} from {{ ref('labels') }}
)

select
    user_id,
    count(*) as n_labels,
    {%- if counted %}
    -- the conventions rule label_copies counted: each relevant row of a label counts
    sum(copies) as n_relevant
    {%- else %}
    sum(case when relevance >= {{ rel_threshold() }} then 1 else 0 end) as n_relevant
    {%- endif %}
from labels
group by user_id
