-- the paired per-user values every comparison is computed from (a view: analysts query it,
-- comparison_sums reads it once): for each candidate other than the baseline (var
-- baseline), metric and K, the users with a value in both the candidate and the baseline (a
-- user missing on either side, or with a null value, is left out), their two values and
-- delta = value - baseline_value. `bucket` is the user's resampling unit: with at most
-- var comparison_buckets (G) baseline users, the user's number 0..n-1 in user_id order
-- (every user a unit of its own); with more, uniform_index(splitmix64(number), G), a
-- fixed pseudo-random partition of the users into G buckets. Reads every model tagged
-- per_user (candidate, user_id, metric, k, value). A baseline the project names (var
-- baseline, evaluation.baseline) that is not a candidate fails whoever reads the view,
-- with the candidates' names, rather than leaving every comparison empty.
-- The pairs are joined one K at a time (each K of k_values, no K, any other K): a user's
-- values are paired only within a K, and one join over every K at once holds the
-- baseline's values of all of them in one hash table. At 1M users and three candidates
-- that table spilled 14.5 GB under an 8 GB limit and took 127 CPU s; one K at a time,
-- 53 CPU s and no spill (bench/RESULTS.md).
{{ config(materialized='view') }}
{%- set per_user_models = models_tagged('per_user') %}
{%- set baseline = comparison_baseline() %}
{%- set named_by = baseline_named_by() %}

with per_user as not materialized (
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

baseline_values as not materialized (
    select user_id, metric, k, value
    from per_user
    where candidate = {{ baseline }} and value is not null
),

candidate_values as not materialized (
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

numbered_users as (
    select
        user_id,
        row_number() over (order by user_id) - 1 as user_number,
        count(*) over () as n_users
    from (select distinct user_id from baseline_values) as baseline_users
),

user_buckets as (
    select
        user_id,
        case when n_users <= {{ comparison_buckets() }} then user_number
            else cast({{ uniform_index('user_word', comparison_buckets()) }} as bigint) end as bucket
    from {{ with_splitmix64('numbered_users', 'user_number', 'user_word') }}
),
{%- set ks = k_values().split(', ') %}

paired as (
    {%- for k in ks + ['none', 'other'] %}
    {%- set condition = 'k is null' if k == 'none' else ('k not in (' ~ ks | join(', ') ~ ')' if k == 'other' else 'k = ' ~ k) %}
    select
        c.candidate, c.metric, c.k, c.user_id, b.value as baseline_value, c.value
    from (select * from candidate_values where {{ condition }}) as c
    inner join (select * from baseline_values where {{ condition }}) as b
        {#- every branch but the last holds one K (or no K) on both sides, so only it joins on k #}
        on b.user_id = c.user_id and b.metric = c.metric{% if k == 'other' %} and b.k = c.k{% endif %}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select
    c.candidate,
    {{ baseline }} as baseline,
    c.metric,
    c.k,
    c.user_id,
    u.bucket,
    c.baseline_value,
    c.value,
    c.value - c.baseline_value as delta
from paired as c
inner join user_buckets as u on u.user_id = c.user_id
{%- if named_by %}
cross join baseline_known
where baseline_known.ok
{%- endif %}
