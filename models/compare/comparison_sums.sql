-- one pass over comparison_pairs, two levels of sums: per comparison (candidate, metric,
-- K; `bucket` null) the statistics of the whole comparison, and per comparison and bucket
-- the sums the randomization test and the bootstrap resample. Every sum over a value is
-- exact (fixed point), so threads cannot change a digit: the sum of squared deltas too
-- (18 decimals, so a sum may reach 1e20), from which comparisons takes the variance.
-- A user's delta within 1e-12 x the larger |value| of 0 counts as a tie, not a win or a
-- loss: two equal values summed in another order (a per-user sum over a list) may differ
-- in their last bit, by which engine or thread added them up (MAP 1/27 as
-- 0.037037037037037035 or 0.03703703703703704).
{{ config(materialized='table') }}

with pairs as (
    select
        p.candidate, p.baseline, p.metric, p.k, p.bucket, p.delta,
        case
            when abs(p.delta) <= 1e-12 * greatest(abs(p.value), abs(p.baseline_value)) then 0
            when p.delta > 0 then 1
            else -1
        end as direction,
        {{ exact_number('p.baseline_value') }} as baseline_value,
        {{ exact_number('p.value') }} as value,
        {{ exact_number('p.delta') }} as exact_delta
    from {{ ref('comparison_pairs') }} as p
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
    count(case when direction > 0 then 1 end) as n_higher,
    count(case when direction = 0 then 1 end) as ties,
    count(case when direction < 0 then 1 end) as n_lower
from pairs
group by grouping sets ((candidate, baseline, metric, k, bucket), (candidate, baseline, metric, k))
