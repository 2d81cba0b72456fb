-- every classification metric by slice (candidate, slice, slice_value, metric, k, value,
-- n_users), from the classification rows of the slice's users: roc_auc, average_precision,
-- pr_auc, log_loss (probability candidates), the *_at_threshold metrics and gauc
{{ config(materialized='table', tags=['slice_metric']) }}
{%- set by = ['slice', 'slice_value'] %}
{%- if slices_include('classification') %}

with curve as (
    select * from {{ ref('classification_curve_by_slice') }}
),

probability_curve as (
    select * from curve where candidate in ({{ probability_candidates() }})
),

confusion as (
    {{ confusion_counts('curve', classification_threshold(), by) | indent(4) }}
),

sliced_user_auc as (
    select a.candidate, s.slice, s.slice_value, a.user_id, a.n_pos, a.n_neg, a.auc
    from {{ ref('user_auc') }} as a
    inner join {{ ref('user_slices') }} as s on s.user_id = a.user_id
)

select * from ({{ roc_auc('curve', by) }}) as roc_auc
union all by name
select * from ({{ average_precision('curve', by) }}) as average_precision
union all by name
select * from ({{ pr_auc('curve', by) }}) as pr_auc
union all by name
select * from ({{ log_loss('probability_curve', by) }}) as log_loss
union all by name
select * from ({{ threshold_metrics('confusion', by) }}) as threshold_metrics
union all by name
select * from ({{ gauc('sliced_user_auc', by) }}) as gauc
{%- else %}

{{ empty_slice_metrics() }}
{%- endif %}
