{#- The drift of the top-K scores between two snapshots of the same candidates' lists
    (docs/metrics.md, "score drift"): the population stability index and the
    Kolmogorov-Smirnov statistic. `previous`, `current` and `k_values` as in
    list_overlap.sql. -#}

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

-- the edges as plain columns, taken out of their lists once per candidate: reading a list
-- element on every row (bins - 1 per K) was most of the model's time at 200k users. An
-- aggregate (over one row per candidate), because DuckDB moves a plain projection above
-- the join below, where it runs on every row again
edge_values as (
    select
        candidate
        {%- for k in ks %}{% for j in range(1, bins) %},
        max(edges_{{ k }}[{{ j }}]) as edge_{{ k }}_{{ j }}
        {%- endfor %}{% endfor %}
    from edges
    group by candidate
),

binned as (
    select
        s.side,
        s.candidate
        {%- for k in ks %},
        case when s.rank <= {{ k }} then
            {% for j in range(1, bins) -%}
            (case when s.score > e.edge_{{ k }}_{{ j }} then 1 else 0 end){{ ' +' if not loop.last }}
            {% endfor -%}
        end as bin_{{ k }}
        {%- endfor %}
    from (
        select 'previous' as side, candidate, rank, score from {{ previous }} where score is not null
        union all
        select 'current' as side, candidate, rank, score from {{ current }} where score is not null
    ) as s
    inner join edge_values as e on e.candidate = s.candidate
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
