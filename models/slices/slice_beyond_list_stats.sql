-- beyond_list_stats by slice: per candidate, slice, slice_value, user and K, the sums the
-- beyond-accuracy metrics read (macros/metrics/beyond_accuracy/); empty without it
{{ config(materialized='table') }}
{%- if beyond_list_stats is defined and slices_include('beyond_accuracy') %}

with sliced_recs as (
    select r.*, s.slice, s.slice_value
    from {{ ref('beyond_recs') }} as r
    inner join {{ ref('user_slices') }} as s on s.user_id = r.user_id
)

select * from ({{ beyond_list_stats('sliced_recs', ref('train'), k_values(), ['slice', 'slice_value']) }}) as list_stats
{%- else %}

select cast(null as varchar) as candidate where false
{%- endif %}
