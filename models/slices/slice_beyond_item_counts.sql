-- beyond_item_counts by slice: per candidate, slice, slice_value, K and recommended item,
-- the counts the beyond-accuracy metrics read (macros/metrics/beyond_accuracy/)
{{ config(materialized='table') }}
{%- if beyond_item_counts is defined and slices_include('beyond_accuracy') %}

with sliced_recs as (
    select r.*, s.slice, s.slice_value
    from {{ ref('beyond_recs') }} as r
    inner join {{ ref('user_slices') }} as s on s.user_id = r.user_id
)

select *
from ({{ beyond_item_counts('sliced_recs', ref('slice_beyond_list_stats'), k_values(), ['slice', 'slice_value']) }}) as item_counts
{%- else %}

select cast(null as varchar) as candidate where false
{%- endif %}
