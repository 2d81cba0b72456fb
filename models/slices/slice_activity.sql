-- activity: every user in labels by their number of train interactions (rows of train):
-- 'cold' with none, else q1 (least active) .. qN, N = var activity_buckets, cut at the
-- discrete quantiles j / N of the counts of the users in labels that have train rows
{{ config(tags=['slice']) }}

with train_counts as (
    select user_id, count(*) as n_train
    from {{ ref('train') }}
    group by user_id
),

users as (
    select u.user_id, c.n_train
    from {{ ref('label_users') }} as u
    left join train_counts as c on cast(c.user_id as varchar) = cast(u.user_id as varchar)
),

buckets as (
    {{ quantile_buckets('users', 'user_id', 'n_train', activity_buckets()) | indent(4) }}
)

select
    u.user_id,
    'activity' as slice,
    case when u.n_train is null then 'cold' else 'q' || b.bucket end as slice_value
from users as u
left join buckets as b on b.user_id = u.user_id
