-- the seeded bootstrap interval of the mean delta per comparison (candidate, metric, K):
-- replicate b draws n_buckets buckets with replacement (comparison_draws), its mean is
-- sum(times * bucket's delta sum) / sum(times * bucket's users), and the interval runs from
-- the 2.5% to the 97.5% quantile of the B means (linear interpolation, numpy's default).
-- With one user per bucket this is the paired bootstrap over users. Sums are exact (fixed
-- point); no row when B is 0.
{{ config(materialized='table') }}

with replicate_means as (
    select
        b.comparison_id,
        d.replicate,
        cast(sum(d.times * b.sum_delta) as double) / sum(d.times * b.n_users) as mean_delta
    from {{ ref('comparison_buckets') }} as b
    inner join {{ ref('comparison_draws') }} as d
        on d.n_buckets = b.n_buckets and d.bucket_index = b.bucket_index
    group by b.comparison_id, d.replicate
)

select
    comparison_id,
    quantile_cont(mean_delta, 0.025) as ci_low,
    quantile_cont(mean_delta, 0.975) as ci_high
from replicate_means
group by comparison_id
