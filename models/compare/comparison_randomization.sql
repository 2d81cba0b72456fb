-- the paired randomization (sign-flip) test per comparison (candidate, metric, K): replicate
-- b flips the sign of some buckets' delta sums (comparison_signs) and is as extreme as the
-- data when |its sum of deltas| >= |the observed sum| - 1e-9 * sum(|delta|) (the tolerance
-- makes ties of discrete metrics ties, whatever the floating-point noise in the deltas);
-- p_randomization = (b + 1) / (B + 1), b the replicates as extreme. With one user per
-- bucket this is the per-user sign-flip test; a bucket's sum is symmetric about 0 under
-- the null as each user's delta is, so flipping buckets is a test of the same null. Sums
-- are exact (fixed point), so the count is the same in every build and on every machine;
-- p_randomization is null when B is 0.
{{ config(materialized='table') }}
{%- set resamples = comparison_resamples() | int %}

with buckets as (
    select comparison_id, bucket_index, sum_delta, sum_abs_delta
    from {{ ref('comparison_buckets') }}
),

observed as (
    select comparison_id, sum(sum_delta) as observed_sum, cast(sum(sum_abs_delta) as double) * 1e-9 as tolerance
    from buckets
    group by comparison_id
),

kept as (
    -- per replicate, the sum of the bucket sums that keep their sign: the flipped sum is
    -- kept_sum - (observed_sum - kept_sum)
    select b.comparison_id, s.replicate, sum(b.sum_delta) as kept_sum
    from buckets as b
    inner join {{ ref('comparison_signs') }} as s on s.bucket_index = b.bucket_index
    where s.sign = 1
    group by b.comparison_id, s.replicate
),

less_extreme as (
    -- a replicate that keeps no sign flips every delta (sum -observed_sum): as extreme as
    -- the data, and absent from `kept`
    select k.comparison_id, count(*) as n_less_extreme
    from kept as k
    inner join observed as o on o.comparison_id = k.comparison_id
    where cast(abs(2 * k.kept_sum - o.observed_sum) as double) < cast(abs(o.observed_sum) as double) - o.tolerance
    group by k.comparison_id
)

select
    o.comparison_id,
    {{ resamples }} - coalesce(l.n_less_extreme, 0) as n_as_extreme,
    {%- if resamples > 0 %}
    ({{ resamples }} - coalesce(l.n_less_extreme, 0) + 1.0) / ({{ resamples }} + 1.0) as p_randomization
    {%- else %}
    cast(null as double) as p_randomization
    {%- endif %}
from observed as o
left join less_extreme as l on l.comparison_id = o.comparison_id
