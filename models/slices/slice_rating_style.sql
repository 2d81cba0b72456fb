-- rating_style: every user in labels by their mean train rating, in terciles of the means
-- of the users in labels: 'harsh', 'neutral', 'generous'; 'cold' without train rows,
-- 'unrated' with train rows but no rating. The demo's stand-in for a user attribute
-- (MovieLens has none): delete this file where it means nothing.
{{ config(tags=['slice']) }}

with train_means as (
    select user_id, avg({{ number_or_null('rating') }}) as mean_rating
    from {{ ref('train') }}
    group by user_id
),

users as (
    select u.user_id, m.user_id is not null as in_train, m.mean_rating
    from {{ ref('label_users') }} as u
    left join train_means as m on cast(m.user_id as varchar) = cast(u.user_id as varchar)
),

terciles as (
    {{ quantile_buckets('users', 'user_id', 'mean_rating', 3) | indent(4) }}
)

select
    u.user_id,
    'rating_style' as slice,
    case
        when not u.in_train then 'cold'
        when u.mean_rating is null then 'unrated'
        when t.bucket = 1 then 'harsh'
        when t.bucket = 2 then 'neutral'
        else 'generous'
    end as slice_value
from users as u
left join terciles as t on t.user_id = u.user_id
