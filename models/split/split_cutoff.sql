-- one row: the time that splits the interactions (train before it, holdout from it on)
{%- set cutoff = var('cutoff', none) %}
-- the demo's dataset: off when evaluation.labels and evaluation.train are given (nothing reads it then)
{{ config(materialized='table', enabled=not (evaluation.labels and evaluation.train)) }}

with interactions as (
    select ts from {{ ref('stg_interactions') }}
),

cutoff as (
    select
        {% if cutoff is not none -%}
        cast({{ sql_string(cutoff) }} as timestamp) as cutoff,
        'var cutoff' as cutoff_from,
        {%- else -%}
        {{ discrete_quantile_of_timestamps('ts', '1 - ' ~ holdout_fraction()) }} as cutoff,
        'holdout_fraction {{ holdout_fraction() }}' as cutoff_from,
        {%- endif %}
        min(ts) as first_ts,
        max(ts) as last_ts
    from interactions
)

select cutoff, cutoff_from, first_ts, last_ts
from cutoff
