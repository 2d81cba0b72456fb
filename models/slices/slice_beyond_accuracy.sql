-- the global beyond-accuracy metrics by slice (candidate, slice, slice_value, metric, k,
-- value, n_users): catalog_coverage, distributional_coverage, user_coverage, gini,
-- personalization and novelty of the lists of the slice's users, from the macros of
-- macros/metrics/beyond_accuracy/ with the slice columns as group_by (the per-user
-- beyond-accuracy metrics come through slice_user_means); empty without those macros
{{ config(materialized='table', tags=['slice_metric']) }}
{%- set by = ['slice', 'slice_value'] %}
{%- if beyond_list_stats is defined and slices_include('beyond_accuracy') %}

with slice_candidates as (
    select c.candidate, s.slice, s.slice_value
    from {{ ref('evaluated_candidates') }} as c
    cross join (select distinct slice, slice_value from {{ ref('user_slices') }}) as s
),

slice_users as (
    select user_id, slice, slice_value from {{ ref('user_slices') }}
)

{%- set list_stats = ref('slice_beyond_list_stats') %}
{%- set item_counts = ref('slice_beyond_item_counts') %}
{%- set parts = [
    catalog_coverage_at_k(item_counts, list_stats, ref('train'), 'slice_candidates', k_values(), by),
    user_coverage_at_k(list_stats, 'slice_users', ref('evaluated_candidates'), k_values(), by),
    distributional_coverage_at_k(item_counts, list_stats, by),
    gini_at_k(item_counts, list_stats, ref('train'), by),
    personalization_at_k(item_counts, list_stats, by),
    novelty_at_k(list_stats, by),
] %}
{% for part in parts %}
select candidate, slice, slice_value, metric, cast(k as integer) as k, cast(value as double) as value, n_users
from (
{{ part }}
) as part_{{ loop.index }}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{%- else %}

{{ empty_slice_metrics() }}
{%- endif %}
