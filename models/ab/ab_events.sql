-- the A/B log the online analysis reads: one row per user (user_id, variant, impressions,
-- clicks, conversions, session_seconds), from the file evaluation.ab_events when it is set.
-- Otherwise a SIMULATION BY REPLAY over the real holdout, not an online experiment: every
-- user in labels is split by a seeded hash between two candidates (vars ab_control and
-- ab_treatment, ab_control_share of the users to the control); a session shows the top
-- ab_impressions items of that candidate's list; a shown item the user has in the holdout is
-- a click, and a click on a relevant item (relevance >= rel_threshold) a conversion; the
-- session lasts 20 s + 45 s per click + 30 s per conversion + a seeded 0-60 s. No row when
-- either candidate has no list.
{{ config(materialized='table') }}
{%- if evaluation.ab_events %}

select
    user_id,
    cast(variant as varchar) as variant,
    cast(impressions as bigint) as impressions,
    cast(clicks as bigint) as clicks,
    cast(conversions as bigint) as conversions,
    {{ number_or_null('session_seconds') }} as session_seconds
from {{ read_with_columns(evaluation.ab_events, ['user_id', 'variant', 'impressions', 'clicks', 'conversions', 'session_seconds']) }} as ab_file
{%- else %}

with users as (
    -- no replay unless both candidates have lists (a project evaluating its own files)
    select distinct user_id
    from {{ ref('labels') }}
    where exists (select 1 from {{ ref('recs') }} where candidate = {{ ab_control() }})
        and exists (select 1 from {{ ref('recs') }} where candidate = {{ ab_treatment() }})
),

assigned as (
    select
        user_id,
        case
            when {{ stable_hash('user_id', ab_seed()) }} % 1000000 < {{ ab_control_share() }} * 1000000
            then {{ ab_control() }}
            else {{ ab_treatment() }}
        end as variant
    from users
),

shown as (
    select a.user_id, a.variant, r.item_id
    from assigned as a
    inner join {{ ref('recs') }} as r on r.candidate = a.variant and r.user_id = a.user_id
    where r.rank <= {{ ab_impressions() }}
),

per_user as (
    select
        a.user_id,
        a.variant,
        count(s.item_id) as impressions,
        count(l.item_id) as clicks,
        count(l.item_id) filter (where l.relevance >= {{ rel_threshold() }}) as conversions
    from assigned as a
    left join shown as s on s.user_id = a.user_id
    left join {{ ref('labels') }} as l on l.user_id = s.user_id and l.item_id = s.item_id
    group by a.user_id, a.variant
)

select
    user_id,
    variant,
    impressions,
    clicks,
    conversions,
    20.0 + 45.0 * clicks + 30.0 * conversions
        + ({{ stable_hash('user_id', ab_seed() ~ ' + 1') }} % 6001) / 100.0 as session_seconds
from per_user
{%- endif %}
