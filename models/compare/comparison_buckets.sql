-- the resampling units of each comparison (candidate, metric, K): the buckets of
-- comparison_sums that hold a pair, numbered bucket_index 0..n_buckets-1 in bucket order.
-- With one user per bucket (at most var comparison_buckets users) bucket_index is the
-- user's place among the comparison's paired users in user_id order, so resampling the
-- buckets is resampling the users. comparison_id numbers the comparisons.
{{ config(materialized='table') }}

with buckets as (
    select candidate, metric, k, bucket, n_users, sum_delta, sum_abs_delta
    from {{ ref('comparison_sums') }}
    where bucket is not null
)

select
    dense_rank() over (order by candidate, metric, k) as comparison_id,
    candidate,
    metric,
    k,
    row_number() over (partition by candidate, metric, k order by bucket) - 1 as bucket_index,
    count(*) over (partition by candidate, metric, k) as n_buckets,
    n_users,
    sum_delta,
    sum_abs_delta
from buckets
