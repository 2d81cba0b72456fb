{#- The global beyond-accuracy metrics of how the top-K lists spread over the catalog and
    the users: catalog, user and distributional coverage, shannon_entropy, gini and personalization. They
    read the building blocks of building_blocks.sql (conventions there) and return
    (candidate[, group_by], metric, k, value, n_users). -#}

{#- catalog_coverage@K: distinct items in the top-K lists / distinct items in `train`.
    `candidates` (candidate[, group_by]) lists the rows to return: one without any top-K
    row gets 0. n_users: users with a top-K list. -#}
{% macro catalog_coverage_at_k(item_counts, list_stats, train, candidates, k_values, group_by=[]) -%}
{%- set g = beyond_groups(group_by) %}
with recommended as (
    {%- if convention('unseen_items') == 'dropped' %}
    {#- the conventions rule unseen_items dropped: only the recommended items seen in train -#}
    select candidate{{ g }}, k, count(case when n_train > 0 then 1 end) as n_items
    {%- else %}
    select candidate{{ g }}, k, count(*) as n_items
    {%- endif %}
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
    select c.candidate{{ beyond_groups(group_by, 'c') }}, k.k
    from {{ candidates }} as c
    cross join (select {{ unnest_list(cutoff_list(k_values)) }} as k) as k
)

select
    e.candidate{{ beyond_groups(group_by, 'e') }},
    'catalog_coverage' as metric,
    e.k,
    coalesce(r.n_items, 0) * 1.0 / nullif(t.n_train_items, 0) as value,
    coalesce(u.n_users, 0) as n_users
from expected as e
cross join catalog as t
left join recommended as r on r.candidate = e.candidate and r.k = e.k{{ beyond_same_groups(group_by, 'r', 'e') }}
left join users as u on u.candidate = e.candidate and u.k = e.k{{ beyond_same_groups(group_by, 'u', 'e') }}
{%- endmacro %}

{#- user_coverage@K: users of `users` (user_id[, group_by]) with a top-K list / users of
    `users`; one row per candidate of `candidates` (candidate), group and K. n_users: the
    users of `users` in the group. -#}
{% macro user_coverage_at_k(list_stats, users, candidates, k_values, group_by=[]) -%}
{%- set g = beyond_groups(group_by) %}
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
    select c.candidate{{ beyond_groups(group_by, 'u') }}, k.k, u.n_users
    from {{ candidates }} as c
    cross join group_users as u
    cross join (select {{ unnest_list(cutoff_list(k_values)) }} as k) as k
)

select
    e.candidate{{ beyond_groups(group_by, 'e') }},
    'user_coverage' as metric,
    e.k,
    coalesce(c.n_covered, 0) * 1.0 / e.n_users as value,
    e.n_users
from expected as e
left join covered as c on c.candidate = e.candidate and c.k = e.k{{ beyond_same_groups(group_by, 'c', 'e') }}
{%- endmacro %}

{#- returns per (candidate[, group_by], k) the users with a top-K list, as a parenthesized query -#}
{% macro _beyond_users(list_stats, group_by) -%}
(
    select candidate{{ beyond_groups(group_by) }}, k, count(*) as n_users
    from {{ list_stats }}
    group by candidate{{ beyond_groups(group_by) }}, k
)
{%- endmacro %}

{#- distributional_coverage@K: Shannon entropy (log2) of p_i = top-K rows with item i /
    all top-K rows -#}
{% macro distributional_coverage_at_k(item_counts, list_stats, group_by=[]) -%}
{{ _item_entropy(item_counts, list_stats, group_by, 'distributional_coverage', '-sum(share * log2(share))') }}
{%- endmacro %}

{#- shannon_entropy@K (RecBole's ShannonEntropy): -sum_i p_i ln(p_i) / the distinct items,
    p_i = top-K rows with item i / all top-K rows; RecBole divides the entropy by the number
    of distinct recommended items, which makes it differ from distributional_coverage -#}
{% macro shannon_entropy_at_k(item_counts, list_stats, group_by=[]) -%}
{{ _item_entropy(item_counts, list_stats, group_by, 'shannon_entropy', '-sum(share * ln(share)) / count(*)') }}
{%- endmacro %}

{#- returns (candidate[, groups], metric, k, value, n_users): `entropy`, an aggregate over
    the rows (one per item, its `share` of the top-K rows), per candidate and K -#}
{% macro _item_entropy(item_counts, list_stats, group_by, metric, entropy) -%}
{%- set g = beyond_groups(group_by) %}
with shares as (
    select candidate{{ g }}, k, n_rows * 1.0 / sum(n_rows) over (partition by candidate{{ g }}, k) as share
    from {{ item_counts }}
),

entropy as (
    select candidate{{ g }}, k, {{ entropy }} as value
    from shares
    group by candidate{{ g }}, k
)

select
    e.candidate{{ beyond_groups(group_by, 'e') }},
    '{{ metric }}' as metric,
    e.k,
    e.value,
    u.n_users
from entropy as e
inner join {{ _beyond_users(list_stats, group_by) }} as u
    on u.candidate = e.candidate and u.k = e.k{{ beyond_same_groups(group_by, 'u', 'e') }}
{%- endmacro %}

{#- gini@K: sum_j (2j - n - 1) c_(j) / (n sum c) over the top-K counts c sorted ascending,
    n = the distinct items of `train` plus the items the top K recommends outside it
    (n_train = 0); items never recommended count 0 and sit at the first positions. Under
    the conventions rule gini recommended: n = the items recommended in the top K and the
    sum divided by (n - 1) x the top-K rows (null for one item) -#}
{% macro gini_at_k(item_counts, list_stats, train, group_by=[]) -%}
{%- set g = beyond_groups(group_by) %}
{%- set recommended_only = convention('gini') == 'recommended' %}
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
    {%- if recommended_only %}
    select o.*, o.n_recommended as n_items
    from ordered as o
    {%- else %}
    select o.*, c.n_train_items + o.n_outside_train as n_items
    from ordered as o
    cross join catalog as c
    {%- endif %}
),

gini as (
    select
        candidate{{ g }},
        k,
        sum((2.0 * (n_items - n_recommended + position) - n_items - 1) * n_rows)
            {%- if recommended_only %}
            / (nullif(max(n_items) - 1, 0) * max(n_rows_total)) as value
            {%- else %}
            / (max(n_items) * max(n_rows_total)) as value
            {%- endif %}
    from sized
    group by candidate{{ g }}, k
)

select
    x.candidate{{ beyond_groups(group_by, 'x') }},
    'gini' as metric,
    x.k,
    x.value,
    u.n_users
from gini as x
inner join {{ _beyond_users(list_stats, group_by) }} as u
    on u.candidate = x.candidate and u.k = x.k{{ beyond_same_groups(group_by, 'u', 'x') }}
{%- endmacro %}

{#- personalization@K: 1 - the mean cosine similarity of the binary top-K item vectors
    over all pairs of users with a top-K list, without pairing users: with w_i = sum over
    the lists holding item i of 1 / sqrt(list length) (cosine_weight),
    sum over pairs u < v of |A_u n A_v| / sqrt(l_u l_v) = (sum_i w_i^2 - n_users) / 2.
    No row for fewer than two users. Under the conventions rule personalization k_overlap
    (Evidently): 1 - (sum_i c_i^2 - n_users K) / (K n_users (n_users - 1)), c_i = the
    top-K lists holding item i, as if every list held K items. -#}
{% macro personalization_at_k(item_counts, list_stats, group_by=[]) -%}
{%- set g = beyond_groups(group_by) %}
{%- set k_overlap = convention('personalization') == 'k_overlap' %}
with squares as (
    {%- if k_overlap %}
    select candidate{{ g }}, k, sum(n_rows * n_rows) as squared_sum
    {%- else %}
    select candidate{{ g }}, k, sum(cosine_weight * cosine_weight) as squared_sum
    {%- endif %}
    from {{ item_counts }}
    group by candidate{{ g }}, k
)

select
    s.candidate{{ beyond_groups(group_by, 's') }},
    'personalization' as metric,
    s.k,
    {%- if k_overlap %}
    1.0 - (s.squared_sum - u.n_users * s.k) / (s.k * u.n_users * (u.n_users - 1.0)) as value,
    {%- else %}
    1.0 - ((s.squared_sum - u.n_users) / 2.0) / (u.n_users * (u.n_users - 1) / 2.0) as value,
    {%- endif %}
    u.n_users
from squares as s
inner join {{ _beyond_users(list_stats, group_by) }} as u
    on u.candidate = s.candidate and u.k = s.k{{ beyond_same_groups(group_by, 'u', 's') }}
where u.n_users >= 2
{%- endmacro %}
