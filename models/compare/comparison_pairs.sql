-- the paired per-user values every comparison is computed from: for each candidate other
-- than the baseline (var baseline), metric and K, the users with a value in both the
-- candidate and the baseline (a user missing on either side, or with a null value, is
-- left out), their two values and delta = value - baseline_value. comparison_id numbers the
-- (candidate, metric, k) groups; user_index numbers the users of a group 0..n_users-1 in
-- user_id order: the index the seeded randomization test and bootstrap draw. Reads every
-- model tagged per_user (candidate, user_id, metric, k, value). A baseline the project
-- names (var baseline, evaluation.baseline) that is not a candidate stops the build with
-- the candidates' names, rather than leaving every comparison empty.
{{ config(materialized='table') }}
{%- set per_user_models = models_tagged('per_user') %}
{%- set baseline = comparison_baseline() %}
{%- set named_by = baseline_named_by() %}

with per_user as (
    {%- for model in per_user_models %}
    select cast(candidate as varchar) as candidate, user_id, cast(metric as varchar) as metric,
        cast(k as integer) as k, cast(value as double) as value
    from {{ ref(model) }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
    {%- if not per_user_models %}
    select cast(null as varchar) as candidate, null as user_id, cast(null as varchar) as metric,
        cast(null as integer) as k, cast(null as double) as value
    where false
    {%- endif %}
),

baseline_values as (
    select user_id, metric, k, value
    from per_user
    where candidate = {{ baseline }} and value is not null
),

candidate_values as (
    select candidate, user_id, metric, k, value
    from per_user
    where candidate <> {{ baseline }} and value is not null
),

{%- if named_by %}

baseline_known as (
    select case
        when count(*) > 0 and count(case when candidate = {{ baseline }} then 1 end) = 0
            then {{ fail_with(sql_string(named_by ~ " " ~ baseline ~ " is not a candidate; the candidates are ")
                              ~ " || " ~ joined_values('candidate')) }}
        else true
    end as ok
    from (select distinct candidate from per_user where candidate is not null) as candidates
),
{%- endif %}

paired as (
    select c.candidate, c.metric, c.k, c.user_id, c.value, b.value as baseline_value
    from candidate_values as c
    inner join baseline_values as b
        on b.user_id = c.user_id and b.metric = c.metric and b.k is not distinct from c.k
)

select
    dense_rank() over (order by candidate, metric, k) as comparison_id,
    candidate,
    {{ baseline }} as baseline,
    metric,
    k,
    user_id,
    row_number() over (partition by candidate, metric, k order by user_id) - 1 as user_index,
    count(*) over (partition by candidate, metric, k) as n_users,
    baseline_value,
    value,
    value - baseline_value as delta
from paired
{%- if named_by %}
cross join baseline_known
where baseline_known.ok
{%- endif %}
