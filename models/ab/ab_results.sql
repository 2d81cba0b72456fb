-- one row per variant of ab_events: users, impressions, ctr = clicks / impressions, cvr =
-- conversions / clicks (the post-click conversion rate), mean_session_seconds (the mean
-- over the variant's users), then the click and conversion counts; a rate without a
-- denominator is null
{{ config(materialized='table') }}

with per_variant as (
    select
        variant,
        count(distinct user_id) as users,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(conversions) as conversions,
        avg(session_seconds) as mean_session_seconds
    from {{ ref('ab_events') }}
    group by variant
)

select
    variant,
    users,
    impressions,
    case when impressions > 0 then cast(clicks as double) / impressions end as ctr,
    case when clicks > 0 then cast(conversions as double) / clicks end as cvr,
    mean_session_seconds,
    clicks,
    conversions
from per_variant
order by variant
