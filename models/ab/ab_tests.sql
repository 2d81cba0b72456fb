-- the tests between the control and the treatment variant of ab_events (vars ab_control and
-- ab_treatment): one row per metric with the control's and the treatment's value, lift =
-- treatment - control, rel_lift = lift / control, the 95% interval of the lift, p_value,
-- significant (p_value < ab_alpha) and the test:
--   ctr, cvr         two-proportion z-test (pooled standard error for the p-value, unpooled
--                    Wald interval); trials are impressions (ctr) and clicks (cvr)
--   session_seconds  Welch t-test over users, Welch-Satterthwaite degrees of freedom
--   sample_ratio     sample-ratio-mismatch chi-square (1 df) of the users per variant
--                    against ab_control_share: control and treatment are user counts, lift
--                    the treatment's share minus its expected share; significant when
--                    p_value < ab_srm_alpha (the assignment is broken: distrust the rest)
-- No row when a variant has no user; with evaluation.ab_events, an error when the file has
-- rows but lacks one of the two variants.
{{ config(materialized='table') }}
{%- set level = 0.95 %}

with arms as (
    select
        variant,
        count(*) as users,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(conversions) as conversions,
        avg(session_seconds) as mean_seconds,
        var_samp(session_seconds) as variance_seconds
    from {{ ref('ab_events') }}
    where variant in ({{ ab_control() }}, {{ ab_treatment() }})
    group by variant
),

checked as (
    -- a log of yours must hold both variants; the replay of a tiny holdout may fill one only
    select
        {%- if evaluation.ab_events %}
        case
            when (select count(*) from {{ ref('ab_events') }}) > 0 and (select count(*) from arms) < 2
            then error('ab_tests: ab_events has no rows for variant ' || {{ ab_control() }} || ' or '
                || {{ ab_treatment() }} || ' (its variants: '
                || (select string_agg(distinct variant, ', ' order by variant) from {{ ref('ab_events') }})
                || '); set vars ab_control and ab_treatment to two of them')
        end as failure
        {%- else %}
        cast(null as varchar) as failure
        {%- endif %}
),

control as (
    select * from arms where variant = {{ ab_control() }}
),

treatment as (
    select * from arms where variant = {{ ab_treatment() }}
),

proportions as (
    select 'ctr' as metric, c.clicks as x_c, c.impressions as n_c, t.clicks as x_t, t.impressions as n_t
    from control as c cross join treatment as t
    union all
    select 'cvr', c.conversions, c.clicks, t.conversions, t.clicks
    from control as c cross join treatment as t
),

rates as (
    select
        metric,
        case when n_c > 0 then cast(x_c as double) / n_c end as p_c,
        case when n_t > 0 then cast(x_t as double) / n_t end as p_t,
        case when n_c + n_t > 0 then cast(x_c + x_t as double) / (n_c + n_t) end as pooled,
        n_c,
        n_t
    from proportions
),

z_tests as (
    select
        metric,
        p_c as control,
        p_t as treatment,
        p_t - p_c as lift,
        sqrt(pooled * (1 - pooled) * (1.0 / n_c + 1.0 / n_t)) as pooled_se,
        sqrt(p_c * (1 - p_c) / n_c + p_t * (1 - p_t) / n_t) as unpooled_se
    from rates
),

welch as (
    select
        c.mean_seconds as control,
        t.mean_seconds as treatment,
        t.mean_seconds - c.mean_seconds as lift,
        sqrt(c.variance_seconds / c.users + t.variance_seconds / t.users) as se,
        -- Welch-Satterthwaite: (v_c/n_c + v_t/n_t)^2 / ((v_c/n_c)^2/(n_c-1) + (v_t/n_t)^2/(n_t-1))
        case
            when c.variance_seconds / c.users + t.variance_seconds / t.users > 0
            then pow(c.variance_seconds / c.users + t.variance_seconds / t.users, 2) / (
                pow(c.variance_seconds / c.users, 2) / (c.users - 1) + pow(t.variance_seconds / t.users, 2) / (t.users - 1))
        end as df
    from control as c cross join treatment as t
),

sample_ratio as (
    select
        cast(c.users as double) as control,
        cast(t.users as double) as treatment,
        cast(t.users as double) / (c.users + t.users) - (1 - {{ ab_control_share() }}) as lift,
        pow(c.users - (c.users + t.users) * {{ ab_control_share() }}, 2) / ((c.users + t.users) * {{ ab_control_share() }})
            + pow(t.users - (c.users + t.users) * (1 - {{ ab_control_share() }}), 2)
                / ((c.users + t.users) * (1 - {{ ab_control_share() }})) as chi_square
    from control as c cross join treatment as t
),

tests as (
    select
        metric,
        control,
        treatment,
        lift,
        case when control <> 0 then lift / control end as rel_lift,
        lift - {{ two_sided_quantile(level) }} * unpooled_se as ci_low,
        lift + {{ two_sided_quantile(level) }} * unpooled_se as ci_high,
        {{ z_test_p_value('lift', 'pooled_se') }} as p_value,
        {{ ab_alpha() }} as alpha,
        'two-proportion z-test' as test
    from z_tests
    union all
    select
        'session_seconds',
        control,
        treatment,
        lift,
        case when control <> 0 then lift / control end,
        case when se = 0 then lift else lift - {{ two_sided_quantile(level, 'df') }} * se end,
        case when se = 0 then lift else lift + {{ two_sided_quantile(level, 'df') }} * se end,
        {{ t_test_p_value('lift', 'se', 'coalesce(df, 1)') }},
        {{ ab_alpha() }},
        'Welch t-test'
    from welch
    union all
    select
        'sample_ratio',
        control,
        treatment,
        lift,
        lift / (1 - {{ ab_control_share() }}),
        cast(null as double),
        cast(null as double),
        chi2_sf(chi_square, 1),
        {{ ab_srm_alpha() }},
        'sample-ratio-mismatch chi-square'
    from sample_ratio
)

select
    t.metric,
    t.control,
    t.treatment,
    t.lift,
    t.rel_lift,
    t.ci_low,
    t.ci_high,
    t.p_value,
    t.p_value < t.alpha as significant,
    t.test
from tests as t
cross join checked as k
where k.failure is null
order by case t.metric when 'ctr' then 1 when 'cvr' then 2 when 'session_seconds' then 3 else 4 end
