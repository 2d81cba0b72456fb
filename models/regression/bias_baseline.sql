-- bias: the rating baseline mu + b_user + b_item, fitted on the train ratings in one pass
-- (Koren's baseline predictors): mu = the mean rating; b_item = sum(rating - mu) /
-- (n_item + bias_item_damping); b_user = sum(rating - mu - b_item) / (n_user +
-- bias_user_damping); a user or item without a train rating gets bias 0. One prediction
-- per (user_id, item_id) in labels; none when train has no rating. Off unless
-- evaluation.baselines lists 'bias' (or is left out), and left out when evaluation.train
-- has no rating column (the checks say so in one line).
{{ config(materialized='table', tags=['rating_baseline'],
          enabled=((evaluation.baselines is none or 'bias' in evaluation.baselines)
                   and input_has('train', 'rating') == 'true')) }}

with rated as (
    select user_id, item_id, rating
    from (select user_id, item_id, {{ number_or_null('rating') }} as rating from {{ ref('train') }}) as train
    where rating is not null
),

global_mean as (
    select avg(rating) as mu from rated
),

item_bias as (
    select r.item_id, sum(r.rating - g.mu) / (count(*) + {{ non_negative_number_var('bias_item_damping', 25) }}) as b_item
    from rated as r
    cross join global_mean as g
    group by r.item_id
),

user_bias as (
    select r.user_id, sum(r.rating - g.mu - i.b_item) / (count(*) + {{ non_negative_number_var('bias_user_damping', 10) }}) as b_user
    from rated as r
    cross join global_mean as g
    inner join item_bias as i on i.item_id = r.item_id
    group by r.user_id
),

label_pairs as (
    select distinct user_id, item_id from {{ ref('labels') }}
)

select
    'bias' as candidate,
    l.user_id,
    l.item_id,
    g.mu + coalesce(u.b_user, 0) + coalesce(i.b_item, 0) as prediction
from label_pairs as l
cross join global_mean as g
left join user_bias as u on cast(u.user_id as varchar) = cast(l.user_id as varchar)
left join item_bias as i on cast(i.item_id as varchar) = cast(l.item_id as varchar)
where g.mu is not null
