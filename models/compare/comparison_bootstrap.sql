-- the seeded bootstrap interval of the mean delta per comparison (candidate, metric, K):
-- replicate b draws n users with replacement (comparison_draws), its mean is
-- sum(times * delta) / n, and the interval runs from the 2.5% to the 97.5% quantile of the
-- B means (linear interpolation, numpy's default). Sums are exact (fixed point); no row
-- when B is 0.
{{ config(materialized='table') }}

with pairs as (
    select comparison_id, n_users, user_index, {{ exact_number('delta') }} as delta
    from {{ ref('comparison_pairs') }}
),

replicate_means as (
    select
        p.comparison_id,
        d.replicate,
        cast(sum(d.times * p.delta) as double) / max(p.n_users) as mean_delta
    from pairs as p
    inner join {{ ref('comparison_draws') }} as d on d.n_users = p.n_users and d.user_index = p.user_index
    group by p.comparison_id, d.replicate
)

select
    comparison_id,
    quantile_cont(mean_delta, 0.025) as ci_low,
    quantile_cont(mean_delta, 0.975) as ci_high
from replicate_means
group by comparison_id
