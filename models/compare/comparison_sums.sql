-- one pass over comparison_pairs, two levels of sums: per comparison (candidate, metric,
-- K; `bucket` null) the statistics of the whole comparison, and per comparison and bucket
-- the sums the randomization test and the bootstrap resample. Every sum over a value is
-- exact (fixed point), so threads cannot change a digit: the sum of squared deltas too
-- (18 decimals, so a sum may reach 1e20), from which comparisons takes the variance.
{{ config(materialized='table') }}

with pairs as (
    select
        candidate, baseline, metric, k, bucket, delta,
        {{ exact_number('baseline_value') }} as baseline_value,
        {{ exact_number('value') }} as value,
        {{ exact_number('delta') }} as exact_delta
    from {{ ref('comparison_pairs') }}
)

select
    candidate,
    baseline,
    metric,
    k,
    bucket,
    count(*) as n_users,
    sum(baseline_value) as sum_baseline_value,
    sum(value) as sum_value,
    sum(exact_delta) as sum_delta,
    sum(abs(exact_delta)) as sum_abs_delta,
    sum(cast(delta * delta as decimal(38, 18))) as sum_squared_delta,
    min(delta) as min_delta,
    max(delta) as max_delta,
    count(case when delta > 0 then 1 end) as n_higher,
    count(case when delta = 0 then 1 end) as ties,
    count(case when delta < 0 then 1 end) as n_lower
from pairs
group by grouping sets ((candidate, baseline, metric, k, bucket), (candidate, baseline, metric, k))
