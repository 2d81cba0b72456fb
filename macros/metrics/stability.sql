{#- How much two snapshots of the same candidates' lists differ (docs/METRICS.md,
    "stability vs another run" and "score drift"; conventions in docs/evaluation.md).
    `previous` and `current` are relations shaped like recs_history: candidate, user_id,
    item_id, rank, position (the item's place in its list in rank order) and score, one
    row per (candidate, user_id, item_id). `k_values` is a list of integers or
    k_values()'s text; only rows with rank <= k count. Every statistic at K is computed
    for all K in one pass (one conditional aggregate per K, then unnested), so no row is
    repeated per K. -#}

{#- returns one row per depth d = 0..max_depth with geometric = sum_{j<=d} p^j and
    harmonic = sum_{j<=d} p^j / j, the partial sums rank-biased overlap needs -#}
{% macro _rbo_partial_sums(max_depth, p) -%}
(
    select
        depth,
        sum(case when depth > 0 then power({{ p }}, depth) else 0.0 end)
            over (order by depth rows between unbounded preceding and current row) as geometric,
        sum(case when depth > 0 then power({{ p }}, depth) / depth else 0.0 end)
            over (order by depth rows between unbounded preceding and current row) as harmonic
    from (select {{ unnest_list(integer_range(0, max_depth)) }} as depth) as depths
)
{%- endmacro %}

{#- per (candidate, user_id, k), for every user with a top-K list in either snapshot:
    n_previous, n_current (items in each top K), jaccard = |A n B| / |A u B|, changed (the
    top K's (rank, item) pairs differ) and rbo, the extrapolated rank-biased overlap of
    Webber, Moffat and Zobel (2010, eq. 32, lists of uneven length) with persistence p on
    the two top-K lists in rank order (depth d = position). With s and l the shorter and
    longer length and X_d the items both lists hold within depth d (an item shared at
    positions a and b counts from depth max(a, b) on):
    rbo = (1-p)/p (sum_{d<=l} X_d p^d / d + sum_{s<d<=l} X_s (d-s) p^d / (s d))
          + ((X_l - X_s) / l + X_s / s) p^l,
    where sum_{d<=l} X_d p^d / d = sum over shared items of (H(l) - H(max(a, b) - 1)) with
    H the partial harmonic sums. 1 for identical lists, 0 when one of the two is empty. -#}
{% macro user_list_stability(previous, current, k_values, p=0.9) -%}
{%- set ks = cutoffs_text(k_values).split(',') | map('int') | list %}
{%- set max_depth = ks | max %}
with lengths as (
    select
        candidate,
        user_id
        {%- for k in ks %},
        sum(n_previous_{{ k }}) as n_previous_{{ k }},
        sum(n_current_{{ k }}) as n_current_{{ k }}
        {%- endfor %}
    from (
        select
            candidate,
            user_id
            {%- for k in ks %},
            count(case when rank <= {{ k }} then 1 end) as n_previous_{{ k }},
            0 as n_current_{{ k }}
            {%- endfor %}
        from {{ previous }}
        where rank <= {{ max_depth }}
        group by candidate, user_id
        union all
        select
            candidate,
            user_id
            {%- for k in ks %},
            0 as n_previous_{{ k }},
            count(case when rank <= {{ k }} then 1 end) as n_current_{{ k }}
            {%- endfor %}
        from {{ current }}
        where rank <= {{ max_depth }}
        group by candidate, user_id
    ) as counted
    group by candidate, user_id
),

partial as (
    select * from {{ _rbo_partial_sums(max_depth, p) }} as partial_sums
),

shared as (
    select
        a.candidate,
        a.user_id,
        greatest(a.rank, b.rank) as top_rank,
        a.rank = b.rank as same_rank,
        greatest(a.position, b.position) as depth
    from {{ previous }} as a
    inner join {{ current }} as b
        on b.candidate = a.candidate and b.user_id = a.user_id and b.item_id = a.item_id
    where a.rank <= {{ max_depth }} and b.rank <= {{ max_depth }}
),

shared_sums as (
    select
        s.candidate,
        s.user_id
        {%- for k in ks %},
        count(case when s.top_rank <= {{ k }} then 1 end) as x_long_{{ k }},
        count(case when s.top_rank <= {{ k }} and s.same_rank then 1 end) as n_same_rank_{{ k }},
        count(case when s.top_rank <= {{ k }}
            and s.depth <= least(l.n_previous_{{ k }}, l.n_current_{{ k }}) then 1 end) as x_short_{{ k }},
        sum(case when s.top_rank <= {{ k }} then h.harmonic end) as harmonic_before_{{ k }}
        {%- endfor %}
    from shared as s
    inner join lengths as l on l.candidate = s.candidate and l.user_id = s.user_id
    inner join partial as h on h.depth = s.depth - 1
    group by s.candidate, s.user_id
),

per_k as (
    select
        l.candidate,
        l.user_id,
        {{ unnest_list(list_literal(ks)) }} as k,
        {{ unnest_list('[' ~ columns_per_k('l.n_previous_', ks) ~ ']') }} as n_previous,
        {{ unnest_list('[' ~ columns_per_k('l.n_current_', ks) ~ ']') }} as n_current,
        {{ unnest_list('[' ~ columns_per_k('s.x_long_', ks) ~ ']') }} as x_long,
        {{ unnest_list('[' ~ columns_per_k('s.x_short_', ks) ~ ']') }} as x_short,
        {{ unnest_list('[' ~ columns_per_k('s.n_same_rank_', ks) ~ ']') }} as n_same_rank,
        {{ unnest_list('[' ~ columns_per_k('s.harmonic_before_', ks) ~ ']') }} as harmonic_before
    from lengths as l
    left join shared_sums as s on s.candidate = l.candidate and s.user_id = l.user_id
),

terms as (
    select
        t.candidate,
        t.user_id,
        t.k,
        t.n_previous,
        t.n_current,
        least(t.n_previous, t.n_current) as n_short,
        greatest(t.n_previous, t.n_current) as n_long,
        coalesce(t.x_long, 0) as x_long,
        coalesce(t.x_short, 0) as x_short,
        coalesce(t.n_same_rank, 0) as n_same_rank,
        coalesce(t.x_long, 0) * long_sums.harmonic - coalesce(t.harmonic_before, 0) as overlap_sum,
        long_sums.geometric - short_sums.geometric as geometric_gap,
        long_sums.harmonic - short_sums.harmonic as harmonic_gap
    from per_k as t
    inner join partial as long_sums on long_sums.depth = greatest(t.n_previous, t.n_current)
    inner join partial as short_sums on short_sums.depth = least(t.n_previous, t.n_current)
    where t.n_previous + t.n_current > 0
)

select
    candidate,
    user_id,
    k,
    n_previous,
    n_current,
    cast(x_long as double) / (n_previous + n_current - x_long) as jaccard,
    not (n_previous = n_current and n_same_rank = n_previous) as changed,
    case
        when n_short = 0 then 0.0
        else (1 - {{ p }}) / {{ p }} * (
                overlap_sum + cast(x_short as double) / n_short * (geometric_gap - n_short * harmonic_gap)
            )
            + ((x_long - x_short) * 1.0 / n_long + x_short * 1.0 / n_short) * power({{ p }}, n_long)
    end as rbo
from terms
{%- endmacro %}

{#- per (candidate, k): the mean jaccard and rbo of user_list_stability over the users with
    a top-K list in either snapshot, the share of them whose top K changed, and n_users -#}
{% macro list_stability_at_k(previous, current, k_values, p=0.9) -%}
select
    candidate,
    k,
    avg(jaccard) as jaccard,
    avg(rbo) as rbo,
    avg(case when changed then 1.0 else 0.0 end) as changed_users_share,
    count(*) as n_users
from (
{{ user_list_stability(previous, current, k_values, p) }}
) as user_stability
group by candidate, k
{%- endmacro %}

{#- per (candidate, k): the population stability index of the current top-K scores against
    the previous ones, sum over bins (c - p) ln(c / p). Bins: `bins` quantiles of the
    previous top-K scores (linear interpolation, as numpy's default), edges e_1..e_{bins-1};
    a score's bin = the number of edges below it, i.e. (e_j, e_{j+1}]. An empty bin's share
    is `epsilon`. No row when either side has no score. -#}
{% macro score_psi_at_k(previous, current, k_values, bins=10, epsilon=0.0001) -%}
{%- set ks = cutoffs_text(k_values).split(',') | map('int') | list %}
with edges as (
    select
        candidate
        {%- for k in ks %},
        quantile_cont(
            case when rank <= {{ k }} then score end,
            [{% for j in range(1, bins) %}{{ j / bins }}{{ ', ' if not loop.last }}{% endfor %}]
        ) as edges_{{ k }}
        {%- endfor %}
    from {{ previous }}
    where score is not null
    group by candidate
),

binned as (
    select
        s.side,
        s.candidate
        {%- for k in ks %},
        case when s.rank <= {{ k }} then
            {% for j in range(1, bins) -%}
            (case when s.score > e.edges_{{ k }}[{{ j }}] then 1 else 0 end){{ ' +' if not loop.last }}
            {% endfor -%}
        end as bin_{{ k }}
        {%- endfor %}
    from (
        select 'previous' as side, candidate, rank, score from {{ previous }} where score is not null
        union all
        select 'current' as side, candidate, rank, score from {{ current }} where score is not null
    ) as s
    inner join edges as e on e.candidate = s.candidate
),

combinations as (
    -- few distinct (side, bin at every K) combinations: one small aggregate over the rows
    select side, candidate{% for k in ks %}, bin_{{ k }}{% endfor %}, count(*) as n_rows
    from binned
    group by side, candidate{% for k in ks %}, bin_{{ k }}{% endfor %}
),

counts as (
    {%- for k in ks %}
    select
        candidate,
        {{ k }} as k,
        bin_{{ k }} as bin,
        sum(case when side = 'previous' then n_rows else 0 end) as n_previous,
        sum(case when side = 'current' then n_rows else 0 end) as n_current
    from combinations
    where bin_{{ k }} is not null
    group by candidate, bin_{{ k }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

per_bin as (
    select
        t.candidate,
        t.k,
        b.bin,
        coalesce(c.n_previous, 0) as n_previous,
        coalesce(c.n_current, 0) as n_current
    from (select distinct candidate, k from counts) as t
    cross join (select {{ unnest_list(integer_range(0, bins - 1)) }} as bin) as b
    left join counts as c on c.candidate = t.candidate and c.k = t.k and c.bin = b.bin
),

shares as (
    select
        candidate,
        k,
        case when n_previous = 0 then {{ epsilon }}
            else n_previous * 1.0 / sum(n_previous) over (partition by candidate, k) end as previous_share,
        case when n_current = 0 then {{ epsilon }}
            else n_current * 1.0 / sum(n_current) over (partition by candidate, k) end as current_share,
        sum(n_previous) over (partition by candidate, k) as total_previous,
        sum(n_current) over (partition by candidate, k) as total_current
    from per_bin
)

select candidate, k, sum((current_share - previous_share) * ln(current_share / previous_share)) as score_psi
from shares
where total_previous > 0 and total_current > 0
group by candidate, k
{%- endmacro %}

{#- per (candidate, k): the two-sample Kolmogorov-Smirnov statistic of the previous and the
    current top-K scores, max over score values x of |F_previous(x) - F_current(x)| (the
    statistic of scipy's ks_2samp). No row when either side has no score. Rows are counted
    per distinct score and rank bucket first, so only distinct scores are repeated per K. -#}
{% macro score_ks_at_k(previous, current, k_values) -%}
{%- set ks = cutoffs_text(k_values).split(',') | map('int') | list %}
with bucketed as (
    -- every score value once per side and rank bucket (the smallest K the rank is within)
    select side, candidate, bucket, score, count(*) as n_rows
    from (
        select
            side,
            candidate,
            score,
            case {% for k in ks %}when rank <= {{ k }} then {{ k }} {% endfor %}end as bucket
        from (
            select 'previous' as side, candidate, rank, score from {{ previous }} where score is not null
            union all
            select 'current' as side, candidate, rank, score from {{ current }} where score is not null
        ) as scores
    ) as ranked
    where bucket is not null
    group by side, candidate, bucket, score
),

per_value as (
    select
        b.candidate,
        c.k,
        b.score,
        sum(case when b.side = 'previous' then b.n_rows else 0 end) as n_previous,
        sum(case when b.side = 'current' then b.n_rows else 0 end) as n_current
    from bucketed as b
    inner join (select {{ unnest_list(cutoff_list(k_values)) }} as k) as c on b.bucket <= c.k
    group by b.candidate, c.k, b.score
),

cumulative as (
    select
        candidate,
        k,
        sum(n_previous) over running * 1.0 / nullif(sum(n_previous) over whole, 0) as cdf_previous,
        sum(n_current) over running * 1.0 / nullif(sum(n_current) over whole, 0) as cdf_current
    from per_value
    window
        running as (partition by candidate, k order by score rows between unbounded preceding and current row),
        whole as (partition by candidate, k)
),

per_k as (
    select candidate, k, max(abs(cdf_previous - cdf_current)) as score_ks
    from cumulative
    group by candidate, k
)

select candidate, k, score_ks from per_k where score_ks is not null
{%- endmacro %}
