-- beyond_list_stats by slice: per candidate, slice, slice_value, user and K, the sums the
-- beyond-accuracy metrics read (macros/metrics/beyond_accuracy/); empty without it. A
-- list's sums are the user's whatever the slice, so this is beyond_list_stats joined
-- with the user's slices: no row of the lists is read again.
{{ config(materialized='table') }}
{%- if beyond_list_stats is defined and slices_include('beyond_accuracy') %}

select
    b.candidate,
    s.slice,
    s.slice_value,
    b.user_id,
    b.k,
    b.n_items,
    b.popularity_sum,
    b.seen_count,
    b.novelty_sum
from {{ ref('beyond_list_stats') }} as b
inner join {{ ref('user_slices') }} as s on s.user_id = b.user_id
{%- else %}

select cast(null as varchar) as candidate where false
{%- endif %}
