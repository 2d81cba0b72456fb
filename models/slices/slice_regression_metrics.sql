-- every regression metric by slice (candidate, slice, slice_value, metric, k, value,
-- n_users), from the prediction pairs of the slice's users (mape over those with a non-zero
-- rating, mape_zero_actual_pairs counting the others); prediction_coverage is the share of
-- the slice's labels with a prediction
{{ config(materialized='table', tags=['slice_metric']) }}
{%- set by = ['slice', 'slice_value'] %}
{%- if slices_include('regression') %}

with sliced_pairs as (
    select p.candidate, s.slice, s.slice_value, p.user_id, p.prediction, p.rating
    from {{ ref('regression_pairs') }} as p
    inner join {{ ref('user_slices') }} as s on s.user_id = p.user_id
),

sums as (
    {{ regression_sums('sliced_pairs', by) | indent(4) }}
),

slice_labels as (
    select s.slice, s.slice_value, count(*) as n_labels
    from {{ ref('labels') }} as l
    inner join {{ ref('user_slices') }} as s on s.user_id = l.user_id
    group by s.slice, s.slice_value
)

select * from ({{ regression_metrics('sums', by) }}) as regression
union all by name
select
    s.candidate,
    s.slice,
    s.slice_value,
    'prediction_coverage' as metric,
    cast(null as integer) as k,
    cast(s.n_pairs as double) / l.n_labels as value,
    s.n_users
from sums as s
inner join slice_labels as l on l.slice = s.slice and l.slice_value = s.slice_value
{%- else %}

{{ empty_slice_metrics() }}
{%- endif %}
