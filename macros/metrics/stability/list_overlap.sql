{#- How much two snapshots of the same candidates' lists differ (docs/metrics.md,
    "stability vs another run" and "score drift"; conventions in docs/evaluation.md).
    `previous` and `current` are relations shaped like recs_history: candidate, user_id,
    item_id, rank, position (the item's place in its list in rank order) and score, one
    row per (candidate, user_id, item_id). `k_values` is a list of integers or
    k_values()'s text; only rows with rank <= k count. Every statistic at K is computed
    for all K in one pass (one conditional aggregate per K, then unnested), so no row is
    repeated per K.

    This file: the overlap of the lists (Jaccard, rank-biased overlap, changed lists);
    the drift of their scores is in score_drift.sql. -#}

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
