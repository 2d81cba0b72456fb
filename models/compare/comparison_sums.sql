-- one pass over comparison_pairs, two levels of sums: per comparison and bucket the sums
-- the randomization test and the bootstrap resample, and per comparison (candidate,
-- metric, K; `bucket` null) the statistics of the whole comparison, added up from its
-- buckets. Every sum over a value is exact (fixed point), so threads cannot change a
-- digit: the sum of squared deltas too (18 decimals, so a sum may reach 1e20), from which
-- comparisons takes the variance.
{{ config(materialized='table') }}

with pairs as (
    select
        candidate, baseline, metric, k, bucket, delta,
        {{ exact_number('baseline_value') }} as baseline_value,
        {{ exact_number('value') }} as value,
        {{ exact_number('delta') }} as exact_delta
    from {{ ref('comparison_pairs') }}
),

per_bucket as (
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
    group by candidate, baseline, metric, k, bucket
)

select * from per_bucket
union all
-- the whole comparison from its buckets' sums: every sum is exact, so adding the buckets
-- gives the digits a pass over every user would (a second grouping of every row would cost
-- as much as the first)
select
    candidate,
    baseline,
    metric,
    k,
    cast(null as bigint) as bucket,
    cast(sum(n_users) as bigint) as n_users,
    sum(sum_baseline_value) as sum_baseline_value,
    sum(sum_value) as sum_value,
    sum(sum_delta) as sum_delta,
    sum(sum_abs_delta) as sum_abs_delta,
    sum(sum_squared_delta) as sum_squared_delta,
    min(min_delta) as min_delta,
    max(max_delta) as max_delta,
    cast(sum(n_higher) as bigint) as n_higher,
    cast(sum(ties) as bigint) as ties,
    cast(sum(n_lower) as bigint) as n_lower
from per_bucket
group by candidate, baseline, metric, k
