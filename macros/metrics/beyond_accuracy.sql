{#- The beyond-accuracy metrics of docs/METRICS.md (conventions: docs/evaluation.md,
    "Beyond accuracy and stability").

    Every statistic at cut-off K is a sum over the rows with rank <= K, so each input is
    read once: one pass computes the sums for every K side by side (one conditional
    aggregate per K), then `unnest` turns them into one row per K. No row is ever
    repeated per K and no pair of users is ever joined.

    Three building blocks read `recs`, a relation shaped like beyond_recs (candidate,
    user_id, item_id, rank, n_train = the item's train interactions, is_seen = the user
    had it in train):
      beyond_list_stats  per list and K: n_items, popularity_sum, seen_count, novelty_sum
      beyond_item_counts per item and K: n_rows, n_train, cosine_weight
      beyond_genre_sums  per list, K and genre: cosine_sum, weight_sum
    and each metric macro reads those. `k_values` is a list of integers or k_values()'s
    text. `group_by` is a list of extra column names of recs (a user slice, say) that every
    sum and mean is also split by; give the same list to the building blocks and to the
    metric. Global metrics return (candidate[, group_by], metric, k, value, n_users),
    per-user ones (candidate[, group_by], user_id, metric, k, value). A metric that is
    not defined for a group (no top-K list; one user for personalization) has no row. -#}

{#- returns (item_key, genre, n_genres): every genre of every catalog item (stg_items), the
    item id as text so that it matches ids of any type, with the item's number of distinct
    genres; items without a genre have no row -#}
{% macro catalog_item_genres() -%}
(
    select item_key, genre, count(*) over (partition by item_key) as n_genres
    from (
        select distinct cast(item_id as varchar) as item_key, genre
        from (
            select item_id, {{ unnest_list('genres') }} as genre
            from {{ ref('stg_items') }}
        ) as exploded
        where genre is not null and genre <> ''
    ) as item_genre
)
{%- endmacro %}

{#- returns the cut-offs as comma-separated text, from a list or k_values()'s text; a
    macro returns text, so callers take `cutoffs_text(k_values).split(',') | map('int') | list` -#}
{% macro cutoffs_text(k_values) -%}
{%- if k_values is string -%}{{ k_values }}{%- else -%}{{ k_values | join(', ') }}{%- endif -%}
{%- endmacro %}

{#- returns a list literal of the cut-offs, from a list of integers or k_values()'s text -#}
{% macro cutoff_list(k_values) -%}
[{{ cutoffs_text(k_values) }}]
{%- endmacro %}

{#- returns ", a.x, a.y" for the group_by columns (prefixed by `alias.` when given), or "" -#}
{% macro _beyond_groups(group_by, alias=none) -%}
{%- for column in group_by or [] %}, {{ alias ~ '.' if alias }}{{ column }}{% endfor -%}
{%- endmacro %}

{#- returns " and a.x is not distinct from b.x ..." matching the group_by columns of two aliases -#}
{% macro _beyond_same_groups(group_by, left, right) -%}
{%- for column in group_by or [] %} and {{ left }}.{{ column }} is not distinct from {{ right }}.{{ column }}{% endfor -%}
{%- endmacro %}

{#- returns -log2(n_train / total): an item's self-information in train, 0 when unseen -#}
{% macro item_novelty(n_train, n_train_total) -%}
case when {{ n_train }} > 0 then -log2({{ n_train }} * 1.0 / {{ n_train_total }}) else 0.0 end
{%- endmacro %}

{#- building block: one row per (candidate[, group_by], user_id, k) whose top K is not
    empty, with n_items (the rows with rank <= k), popularity_sum (their n_train),
    seen_count (how many is_seen) and novelty_sum (their item_novelty against the train
    interactions of `train`) -#}
{% macro beyond_list_stats(recs, train, k_values, group_by=[]) -%}
{%- set ks = cutoffs_text(k_values).split(',') | map('int') | list %}
{%- set g = _beyond_groups(group_by) %}
with train_total as (
    select count(*) as n_train_total from {{ train }}
),

per_list as (
    select
        r.candidate{{ _beyond_groups(group_by, 'r') }},
        r.user_id
        {%- for k in ks %},
        count(case when r.rank <= {{ k }} then 1 end) as n_items_{{ k }},
        sum(case when r.rank <= {{ k }} then r.n_train end) as popularity_{{ k }},
        count(case when r.rank <= {{ k }} and r.is_seen then 1 end) as seen_{{ k }},
        sum(case when r.rank <= {{ k }} then {{ item_novelty('r.n_train', 't.n_train_total') }} end) as novelty_{{ k }}
        {%- endfor %}
    from {{ recs }} as r
    cross join train_total as t
    where r.rank <= {{ ks | max }}
    group by r.candidate{{ _beyond_groups(group_by, 'r') }}, r.user_id
),

per_k as (
    select
        candidate{{ g }},
        user_id,
        {{ unnest_list(list_literal(ks)) }} as k,
        {{ unnest_list('[' ~ columns_per_k('n_items_', ks) ~ ']') }} as n_items,
        {{ unnest_list('[' ~ columns_per_k('popularity_', ks) ~ ']') }} as popularity_sum,
        {{ unnest_list('[' ~ columns_per_k('seen_', ks) ~ ']') }} as seen_count,
        {{ unnest_list('[' ~ columns_per_k('novelty_', ks) ~ ']') }} as novelty_sum
    from per_list
)

select * from per_k where n_items > 0
{%- endmacro %}

{#- returns "prefix5, prefix10, ..." for the cut-offs -#}
{% macro columns_per_k(prefix, ks) -%}
{%- for k in ks %}{{ prefix }}{{ k }}{{ ", " if not loop.last }}{% endfor -%}
{%- endmacro %}

{#- building block: one row per (candidate[, group_by], k, item_id) recommended in some
    top K, with n_rows (the top-K lists holding it), n_train and cosine_weight = the sum
    over those lists of 1 / sqrt(the list's length at k), what personalization squares.
    `list_stats` is beyond_list_stats over the same recs and group_by. -#}
{% macro beyond_item_counts(recs, list_stats, k_values, group_by=[]) -%}
{%- set ks = cutoffs_text(k_values).split(',') | map('int') | list %}
{%- set g = _beyond_groups(group_by) %}
with lengths as (
    select
        candidate{{ g }},
        user_id
        {%- for k in ks %},
        max(case when k = {{ k }} then n_items end) as n_items_{{ k }}
        {%- endfor %}
    from {{ list_stats }}
    group by candidate{{ g }}, user_id
),

per_item as (
    select
        r.candidate{{ _beyond_groups(group_by, 'r') }},
        r.item_id,
        max(r.n_train) as n_train
        {%- for k in ks %},
        count(case when r.rank <= {{ k }} then 1 end) as n_rows_{{ k }},
        sum(case when r.rank <= {{ k }} then 1.0 / sqrt(l.n_items_{{ k }}) end) as cosine_weight_{{ k }}
        {%- endfor %}
    from {{ recs }} as r
    inner join lengths as l
        on l.candidate = r.candidate and l.user_id = r.user_id{{ _beyond_same_groups(group_by, 'l', 'r') }}
    where r.rank <= {{ ks | max }}
    group by r.candidate{{ _beyond_groups(group_by, 'r') }}, r.item_id
),

per_k as (
    select
        candidate{{ g }},
        item_id,
        n_train,
        {{ unnest_list(list_literal(ks)) }} as k,
        {{ unnest_list('[' ~ columns_per_k('n_rows_', ks) ~ ']') }} as n_rows,
        {{ unnest_list('[' ~ columns_per_k('cosine_weight_', ks) ~ ']') }} as cosine_weight
    from per_item
)

select * from per_k where n_rows > 0
{%- endmacro %}

{#- building block: one row per (candidate[, group_by], user_id, k, genre) of the genres
    in a top K, with cosine_sum = the sum over the list's items with that genre of
    1 / sqrt(the item's genres) (added up exactly, so that two lists of the same items
    give the same sum whatever the order the engine adds in) and weight_sum = the sum of 1 / the item's genres (each
    item spreads weight 1 over its genres). `item_genres` has item_id (as in recs),
    genre, n_genres; items without genres have no row there and count nowhere. -#}
{% macro beyond_genre_sums(recs, item_genres, k_values, group_by=[]) -%}
{%- set ks = cutoffs_text(k_values).split(',') | map('int') | list %}
{%- set g = _beyond_groups(group_by) %}
with per_genre as (
    select
        r.candidate{{ _beyond_groups(group_by, 'r') }},
        r.user_id,
        ig.genre
        {%- for k in ks %},
        cast(sum({{ exact_number('case when r.rank <= ' ~ k ~ ' then 1.0 / sqrt(ig.n_genres) end') }}) as double)
            as cosine_{{ k }},
        sum(case when r.rank <= {{ k }} then 1.0 / ig.n_genres end) as weight_{{ k }}
        {%- endfor %}
    from {{ recs }} as r
    inner join {{ item_genres }} as ig on ig.item_id = r.item_id
    where r.rank <= {{ ks | max }}
    group by r.candidate{{ _beyond_groups(group_by, 'r') }}, r.user_id, ig.genre
),

per_k as (
    select
        candidate{{ g }},
        user_id,
        genre,
        {{ unnest_list(list_literal(ks)) }} as k,
        {{ unnest_list('[' ~ columns_per_k('cosine_', ks) ~ ']') }} as cosine_sum,
        {{ unnest_list('[' ~ columns_per_k('weight_', ks) ~ ']') }} as weight_sum
    from per_genre
)

select * from per_k where weight_sum is not null
{%- endmacro %}

{#- catalog_coverage@K: distinct items in the top-K lists / distinct items in `train`.
    `candidates` (candidate[, group_by]) lists the rows to return: one without any top-K
    row gets 0. n_users: users with a top-K list. -#}
{% macro catalog_coverage_at_k(item_counts, list_stats, train, candidates, k_values, group_by=[]) -%}
{%- set g = _beyond_groups(group_by) %}
with recommended as (
    select candidate{{ g }}, k, count(*) as n_items
    from {{ item_counts }}
    group by candidate{{ g }}, k
),

users as (
    select candidate{{ g }}, k, count(*) as n_users
    from {{ list_stats }}
    group by candidate{{ g }}, k
),

catalog as (
    select count(distinct item_id) as n_train_items from {{ train }}
),

expected as (
    select c.candidate{{ _beyond_groups(group_by, 'c') }}, k.k
    from {{ candidates }} as c
    cross join (select {{ unnest_list(cutoff_list(k_values)) }} as k) as k
)

select
    e.candidate{{ _beyond_groups(group_by, 'e') }},
    'catalog_coverage' as metric,
    e.k,
    coalesce(r.n_items, 0) * 1.0 / nullif(t.n_train_items, 0) as value,
    coalesce(u.n_users, 0) as n_users
from expected as e
cross join catalog as t
left join recommended as r on r.candidate = e.candidate and r.k = e.k{{ _beyond_same_groups(group_by, 'r', 'e') }}
left join users as u on u.candidate = e.candidate and u.k = e.k{{ _beyond_same_groups(group_by, 'u', 'e') }}
{%- endmacro %}

{#- user_coverage@K: users of `users` (user_id[, group_by]) with a top-K list / users of
    `users`; one row per candidate of `candidates` (candidate), group and K. n_users: the
    users of `users` in the group. -#}
{% macro user_coverage_at_k(list_stats, users, candidates, k_values, group_by=[]) -%}
{%- set g = _beyond_groups(group_by) %}
with group_users as (
    select 1 as all_users{{ g }}, count(distinct user_id) as n_users
    from {{ users }}
    group by all_users{{ g }}
),

covered as (
    select candidate{{ g }}, k, count(*) as n_covered
    from {{ list_stats }}
    where user_id in (select user_id from {{ users }})
    group by candidate{{ g }}, k
),

expected as (
    select c.candidate{{ _beyond_groups(group_by, 'u') }}, k.k, u.n_users
    from {{ candidates }} as c
    cross join group_users as u
    cross join (select {{ unnest_list(cutoff_list(k_values)) }} as k) as k
)

select
    e.candidate{{ _beyond_groups(group_by, 'e') }},
    'user_coverage' as metric,
    e.k,
    coalesce(c.n_covered, 0) * 1.0 / e.n_users as value,
    e.n_users
from expected as e
left join covered as c on c.candidate = e.candidate and c.k = e.k{{ _beyond_same_groups(group_by, 'c', 'e') }}
{%- endmacro %}

{#- returns per (candidate[, group_by], k) the users with a top-K list, as a parenthesized query -#}
{% macro _beyond_users(list_stats, group_by) -%}
(
    select candidate{{ _beyond_groups(group_by) }}, k, count(*) as n_users
    from {{ list_stats }}
    group by candidate{{ _beyond_groups(group_by) }}, k
)
{%- endmacro %}

{#- distributional_coverage@K: Shannon entropy (log2) of p_i = top-K rows with item i /
    all top-K rows -#}
{% macro distributional_coverage_at_k(item_counts, list_stats, group_by=[]) -%}
{%- set g = _beyond_groups(group_by) %}
with shares as (
    select candidate{{ g }}, k, n_rows * 1.0 / sum(n_rows) over (partition by candidate{{ g }}, k) as share
    from {{ item_counts }}
),

entropy as (
    select candidate{{ g }}, k, -sum(share * log2(share)) as value
    from shares
    group by candidate{{ g }}, k
)

select
    e.candidate{{ _beyond_groups(group_by, 'e') }},
    'distributional_coverage' as metric,
    e.k,
    e.value,
    u.n_users
from entropy as e
inner join {{ _beyond_users(list_stats, group_by) }} as u
    on u.candidate = e.candidate and u.k = e.k{{ _beyond_same_groups(group_by, 'u', 'e') }}
{%- endmacro %}

{#- gini@K: sum_j (2j - n - 1) c_(j) / (n sum c) over the top-K counts c sorted ascending,
    n = the distinct items of `train` plus the items the top K recommends outside it
    (n_train = 0); items never recommended count 0 and sit at the first positions -#}
{% macro gini_at_k(item_counts, list_stats, train, group_by=[]) -%}
{%- set g = _beyond_groups(group_by) %}
with catalog as (
    select count(distinct item_id) as n_train_items from {{ train }}
),

ordered as (
    select
        candidate{{ g }},
        k,
        n_rows,
        row_number() over (partition by candidate{{ g }}, k order by n_rows) as position,
        count(*) over (partition by candidate{{ g }}, k) as n_recommended,
        count(case when n_train = 0 then 1 end) over (partition by candidate{{ g }}, k) as n_outside_train,
        sum(n_rows) over (partition by candidate{{ g }}, k) as n_rows_total
    from {{ item_counts }}
),

sized as (
    select o.*, c.n_train_items + o.n_outside_train as n_items
    from ordered as o
    cross join catalog as c
),

gini as (
    select
        candidate{{ g }},
        k,
        sum((2.0 * (n_items - n_recommended + position) - n_items - 1) * n_rows)
            / (max(n_items) * max(n_rows_total)) as value
    from sized
    group by candidate{{ g }}, k
)

select
    x.candidate{{ _beyond_groups(group_by, 'x') }},
    'gini' as metric,
    x.k,
    x.value,
    u.n_users
from gini as x
inner join {{ _beyond_users(list_stats, group_by) }} as u
    on u.candidate = x.candidate and u.k = x.k{{ _beyond_same_groups(group_by, 'u', 'x') }}
{%- endmacro %}

{#- personalization@K: 1 - the mean cosine similarity of the binary top-K item vectors
    over all pairs of users with a top-K list, without pairing users: with w_i = sum over
    the lists holding item i of 1 / sqrt(list length) (cosine_weight),
    sum over pairs u < v of |A_u n A_v| / sqrt(l_u l_v) = (sum_i w_i^2 - n_users) / 2.
    No row for fewer than two users. -#}
{% macro personalization_at_k(item_counts, list_stats, group_by=[]) -%}
{%- set g = _beyond_groups(group_by) %}
with squares as (
    select candidate{{ g }}, k, sum(cosine_weight * cosine_weight) as squared_sum
    from {{ item_counts }}
    group by candidate{{ g }}, k
)

select
    s.candidate{{ _beyond_groups(group_by, 's') }},
    'personalization' as metric,
    s.k,
    1.0 - ((s.squared_sum - u.n_users) / 2.0) / (u.n_users * (u.n_users - 1) / 2.0) as value,
    u.n_users
from squares as s
inner join {{ _beyond_users(list_stats, group_by) }} as u
    on u.candidate = s.candidate and u.k = s.k{{ _beyond_same_groups(group_by, 'u', 's') }}
where u.n_users >= 2
{%- endmacro %}

{#- novelty@K: the mean over all top-K rows of -log2(p_i), p_i = the item's share of the
    train interactions; items unseen in train count 0 and stay in the mean -#}
{% macro novelty_at_k(list_stats, group_by=[]) -%}
{%- set g = _beyond_groups(group_by) %}
select
    candidate{{ g }},
    'novelty' as metric,
    k,
    sum(novelty_sum) / sum(n_items) as value,
    count(*) as n_users
from {{ list_stats }}
group by candidate{{ g }}, k
{%- endmacro %}

{#- per user: the mean of novelty@K's terms over the user's top-K rows -#}
{% macro user_novelty_at_k(list_stats, group_by=[]) -%}
select candidate{{ _beyond_groups(group_by) }}, user_id, 'novelty' as metric, k, novelty_sum / n_items as value
from {{ list_stats }}
{%- endmacro %}

{#- avg_popularity@K (ARP) per user: the mean train interactions of the top-K items -#}
{% macro avg_popularity_at_k(list_stats, group_by=[]) -%}
select
    candidate{{ _beyond_groups(group_by) }},
    user_id,
    'avg_popularity' as metric,
    k,
    cast(popularity_sum as double) / n_items as value
from {{ list_stats }}
{%- endmacro %}

{#- seen_rate@K per user: the share of the top-K items the user already had in train -#}
{% macro seen_rate_at_k(list_stats, group_by=[]) -%}
select
    candidate{{ _beyond_groups(group_by) }},
    user_id,
    'seen_rate' as metric,
    k,
    cast(seen_count as double) / n_items as value
from {{ list_stats }}
{%- endmacro %}

{#- returns per (candidate[, group_by], user_id, k) the squared cosine sums (added up
    exactly, as the cosine sums) and the number of items with a genre (each item's weights
    add up to 1), as a parenthesized query -#}
{% macro _beyond_genre_lists(genre_sums, group_by) -%}
(
    select
        candidate{{ _beyond_groups(group_by) }},
        user_id,
        k,
        count(*) as n_genres,
        cast(sum({{ exact_number('cosine_sum * cosine_sum') }}) as double) as squared_sum,
        round(sum(weight_sum)) as n_items
    from {{ genre_sums }}
    group by candidate{{ _beyond_groups(group_by) }}, user_id, k
)
{%- endmacro %}

{#- category_diversity@K per user: the distinct genres of the top-K items; users whose
    top K holds no item with a genre have no row -#}
{% macro category_diversity_at_k(genre_sums, group_by=[]) -%}
select
    candidate{{ _beyond_groups(group_by) }},
    user_id,
    'category_diversity' as metric,
    k,
    cast(n_genres as double) as value
from {{ _beyond_genre_lists(genre_sums, group_by) }} as lists
{%- endmacro %}

{#- ild@K per user: 1 - the mean cosine similarity of the binary genre vectors over the
    pairs of top-K items with a genre: with s_g the list's cosine_sum of genre g and m its
    items with a genre, the sum over item pairs of the cosine is (sum_g s_g^2 - m) / 2.
    Users with fewer than two such items have no row. -#}
{% macro ild_at_k(genre_sums, group_by=[]) -%}
select
    candidate{{ _beyond_groups(group_by) }},
    user_id,
    'ild' as metric,
    k,
    1.0 - (squared_sum - n_items) / (n_items * (n_items - 1)) as value
from {{ _beyond_genre_lists(genre_sums, group_by) }} as lists
where n_items >= 2
{%- endmacro %}

{#- calibration_kl@K per user (Steck 2018): KL(p || (1 - a) q + a p), natural log, with p
    the user's genre distribution in train (`user_genres`: user_key = the user id as text,
    genre, share) and q the top K's (weight_sum / items with a genre). Terms with
    p(g) = 0 are 0. Users without a train genre, or whose top K has no item with a genre,
    have no row. -#}
{% macro calibration_kl_at_k(genre_sums, user_genres, group_by=[], alpha=0.01) -%}
{%- set g = _beyond_groups(group_by) %}
with lists as (
    select candidate{{ g }}, user_id, k, n_items, cast(user_id as varchar) as user_key
    from {{ _beyond_genre_lists(genre_sums, group_by) }} as lists
),

terms as (
    select
        l.candidate{{ _beyond_groups(group_by, 'l') }},
        l.user_id,
        l.k,
        p.share * ln(p.share / ((1 - {{ alpha }}) * coalesce(q.weight_sum / l.n_items, 0.0) + {{ alpha }} * p.share))
            as term
    from lists as l
    inner join {{ user_genres }} as p on p.user_key = l.user_key
    left join {{ genre_sums }} as q
        on q.candidate = l.candidate and q.user_id = l.user_id and q.k = l.k and q.genre = p.genre
        {{- _beyond_same_groups(group_by, 'q', 'l') }}
)

select
    candidate{{ g }},
    user_id,
    'calibration_kl' as metric,
    k,
    sum(term) as value
from terms
group by candidate{{ g }}, user_id, k
{%- endmacro %}
