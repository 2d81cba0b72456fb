-- every candidate against the baseline (var baseline), per metric and K, on the paired
-- per-user values of comparison_pairs (summed in comparison_sums): the two means,
-- delta = value - baseline_value and rel_delta = delta / baseline_value, the seeded bootstrap 95% interval of the delta
-- (ci_low, ci_high), the paired t-test (p_ttest), the randomization test (p_randomization),
-- p_ttest Holm-adjusted across the metric and K rows of each candidate (p_adjusted), the
-- metric's direction (metric_definitions: higher, lower or neutral is better) and the users
-- for whom the candidate is better than, as good as and worse than the baseline (wins, ties,
-- losses: a lower value wins on a lower-is-better metric; null for a neutral one)
{{ config(materialized='table') }}

with summary as (
    select
        dense_rank() over (order by candidate, metric, k) as comparison_id,
        candidate,
        baseline,
        metric,
        k,
        n_users,
        cast(sum_baseline_value as double) / n_users as baseline_value,
        cast(sum_value as double) / n_users as value,
        cast(sum_delta as double) / n_users as delta,
        -- the sample variance of delta from exact sums (deterministic, unlike a parallel
        -- var_samp); exactly 0 when every delta is the same
        case
            when n_users < 2 then null
            when min_delta = max_delta then 0.0
            else greatest(0.0, (cast(sum_squared_delta as double)
                - cast(sum_delta as double) * cast(sum_delta as double) / n_users) / (n_users - 1))
        end as delta_variance,
        n_higher,
        ties,
        n_lower
    from {{ ref('comparison_sums') }}
    where bucket is null
),

tested as (
    select
        s.*,
        {{ t_test_p_value('s.delta', 'sqrt(s.delta_variance / s.n_users)', 's.n_users - 1') }} as p_ttest
    from summary as s
),

holm_ranked as (
    -- Holm's step-down: the j-th smallest of a candidate's m p-values times (m - j + 1)
    select
        *,
        count(p_ttest) over (partition by candidate) as n_tests,
        row_number() over (partition by candidate order by p_ttest nulls last, metric, k) as p_rank
    from tested
),

holm as (
    select
        *,
        case when p_ttest is not null then least(1.0, max((n_tests - p_rank + 1) * p_ttest) over (
            partition by candidate order by p_ttest nulls last, metric, k rows between unbounded preceding and current row
        )) end as p_adjusted
    from holm_ranked
)

select
    h.candidate,
    h.baseline,
    h.metric,
    h.k,
    h.baseline_value,
    h.value,
    h.delta,
    case when h.baseline_value <> 0 then h.delta / h.baseline_value end as rel_delta,
    b.ci_low,
    b.ci_high,
    h.p_ttest,
    r.p_randomization,
    h.p_adjusted,
    coalesce(d.direction, 'higher') as direction,
    case coalesce(d.direction, 'higher') when 'higher' then h.n_higher when 'lower' then h.n_lower end as wins,
    case when coalesce(d.direction, 'higher') <> 'neutral' then h.ties end as ties,
    case coalesce(d.direction, 'higher') when 'higher' then h.n_lower when 'lower' then h.n_higher end as losses
from holm as h
left join {{ ref('metric_definitions') }} as d on d.metric = h.metric
left join {{ ref('comparison_bootstrap') }} as b on b.comparison_id = h.comparison_id
left join {{ ref('comparison_randomization') }} as r on r.comparison_id = h.comparison_id
order by h.candidate, h.metric, h.k
