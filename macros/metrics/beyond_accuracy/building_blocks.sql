{#- The beyond-accuracy metrics of docs/metrics.md (conventions: docs/evaluation.md,
    "Beyond accuracy and stability"): the building blocks every metric reads and the
    group_by helpers. The metrics are in the other files of this folder: coverage.sql
    (catalog, user and distributional coverage, shannon_entropy, gini, personalization),
    novelty_popularity.sql (novelty, avg_popularity, seen_rate) and
    diversity_calibration.sql (category_diversity, ild, calibration_kl).

    Every statistic at cut-off K is a sum over the rows with rank <= K, so each input is
    read once: one pass computes the sums for every K side by side (one conditional
    aggregate per K), then `unnest` turns them into one row per K.
    No row is ever repeated per K and no pair of users is ever joined.

    Three building blocks read `recs`, a relation shaped like beyond_recs (candidate,
    user_id, item_id, rank, n_train = the item's train interactions, is_seen = the user
    had it in train):
      beyond_list_stats  per list and K: n_items, popularity_sum, seen_count, novelty_sum,
                         iuf_sum, tail_count, serendipity_sum
      beyond_item_counts per item and K: n_rows, n_train, cosine_weight (item_counts.sql;
                         its recs need only candidate, user_id, item_id and rank, and
                         n_train comes from the items)
      beyond_genre_sums  per list, K and genre: cosine_sum, weight_sum (genre_sums.sql,
                         with catalog_item_genres)
    and each metric macro reads those. `k_values` is a list of integers or k_values()'s
    text. `group_by` is a list of extra column names of recs (a user slice, say) that every
    sum and mean is also split by; give the same list to the building blocks and to the
    metric. Global metrics return (candidate[, group_by], metric, k, value, n_users),
    per-user ones (candidate[, group_by], user_id, metric, k, value). A metric that is
    not defined for a group (no top-K list; one user for personalization) has no row. -#}

{#- returns ", a.x, a.y" for the group_by columns (prefixed by `alias.` when given), or "" -#}
{% macro beyond_groups(group_by, alias=none) -%}
{%- for column in group_by or [] %}, {{ alias ~ '.' if alias }}{{ column }}{% endfor -%}
{%- endmacro %}

{#- returns " and a.x is not distinct from b.x ..." matching the group_by columns of two aliases -#}
{% macro beyond_same_groups(group_by, left, right) -%}
{%- for column in group_by or [] %} and {{ left }}.{{ column }} is not distinct from {{ right }}.{{ column }}{% endfor -%}
{%- endmacro %}

{#- building block: one row per (candidate[, group_by], user_id, k) whose top K is not
    empty, with n_items (the rows with rank <= k), popularity_sum (their n_train, or
    n_train_users under the conventions rule popularity train_users), n_known (under the
    rule unseen_items dropped only: the rows with n_train > 0),
    seen_count (how many is_seen), novelty_sum (their item_novelty against the train
    interactions of `train`), iuf_sum (their item_inverse_user_frequency), tail_count (how
    many is_tail) and, given `relevant` (a boolean expression over the rows of recs, alias
    r: the item is a relevant label of the user, e.g. 'r.is_relevant'), serendipity_sum
    (their item_serendipity; null without `relevant`). `items` has one row per item_id
    of recs with its n_train and n_train_users (beyond_items): the novelty and inverse
    user frequency terms are computed once per item there, not once per row. Every per-list
    beyond-accuracy sum in one pass over the rows; the sums of fractions are exact (fixed
    point), so a list's value does not depend on the order its rows arrive in, which
    differs between engines and runs (a tie between two candidates stays a tie). -#}
{% macro beyond_list_stats(recs, train, items, k_values, group_by=[], relevant=none) -%}
{%- set ks = cutoffs_text(k_values).split(',') | map('int') | sort | list %}
{%- set g = beyond_groups(group_by) %}
{#- the conventions profile: what popularity counts, and whether unseen items drop out -#}
{%- set popularity = 'n_train_users' if convention('popularity') == 'train_users' else 'n_train' %}
{%- set dropped = convention('unseen_items') == 'dropped' %}
-- distinct ids as train has them: two different values of one column are never the same
-- text, so casting every row to text first would count the same
with train_total as (
    select
        count(*) as n_train_total,
        count(distinct user_id) as n_train_users,
        count(distinct item_id) as n_catalog
    from {{ train }}
),

-- the terms that depend on the item alone, once per item. Computed on every row (with the
-- serendipity of every row cast to an exact number too) they took 46 of this model's 96
-- CPU seconds at 1M users x 3 candidates (300M rows, 500k items); now 70
item_terms as (
    select
        i.item_id,
        {{ exact_term(item_novelty('i.n_train', 't.n_train_total')) }} as novelty,
        {{ exact_term(item_inverse_user_frequency('i.n_train_users', 't.n_train_users')) }} as iuf
    from {{ items }} as i
    cross join train_total as t
),

-- each row's values once, with the smallest cut-off that holds it
row_values as (
    select
        r.candidate{{ beyond_groups(group_by, 'r') }},
        r.user_id,
        case {%- for k in ks %} when r.rank <= {{ k }} then {{ k }}{% endfor %} end as cutoff,
        r.n_train,
        r.{{ popularity }} as popularity,
        r.is_seen,
        r.is_tail,
        it.novelty,
        it.iuf,
        {%- if relevant is not none %}
        {#- only a relevant row has a serendipity above 0: the others skip the exact cast #}
        case
            when {{ relevant }} then {{ exact_term(item_serendipity('true', 'r.rank', 'r.popularity_rank', 't.n_catalog')) }}
            when t.n_catalog = 0 then null
            else {{ exact_term('0.0') }}
        end
        {%- else %}
        {{ exact_term('null') }}
        {%- endif %} as serendipity
    from {{ recs }} as r
    cross join train_total as t
    inner join item_terms as it on it.item_id = r.item_id
    where r.rank <= {{ ks | max }}
),

-- the per-K sums of every list in one aggregate over the rows, each row summed into every
-- K that holds it (1.85 times on average with K = 5, 10, 20, 50, 100). A first aggregate
-- per (list, cut-off), whose sums were then added up per K, kept 50M groups at 10M users:
-- with memory_limit 8GB this model spilled 19.8 GB to disk (268.6 s); in one aggregate it
-- spills 0.9 GB (298.1 s). Each sum is `sum(case when cutoff <= k then x end)`, not
-- `sum(x) filter (where cutoff <= k)`: DuckDB makes a selection of the rows for every
-- filtered aggregate, and 35 of them took twice as long. The sums of fractions are exact
-- (fixed point), so a list's value does not depend on the order its rows arrive in.
per_list as (
    select
        candidate{{ g }},
        user_id
        {%- for k in ks %},
        count(case when cutoff <= {{ k }} then 1 end) as n_items_{{ k }},
        sum(case when cutoff <= {{ k }} then popularity end) as popularity_{{ k }},
        {%- if dropped %}
        count(case when cutoff <= {{ k }} and n_train > 0 then 1 end) as known_{{ k }},
        {%- endif %}
        count(case when cutoff <= {{ k }} and is_seen then 1 end) as seen_{{ k }},
        cast(sum(case when cutoff <= {{ k }} then novelty end) as double) as novelty_{{ k }},
        cast(sum(case when cutoff <= {{ k }} then iuf end) as double) as iuf_{{ k }},
        count(case when cutoff <= {{ k }} and is_tail then 1 end) as tail_{{ k }},
        cast(sum(case when cutoff <= {{ k }} then serendipity end) as double) as serendipity_{{ k }}
        {%- endfor %}
    from row_values
    group by candidate{{ g }}, user_id
),

per_k as (
    select
        candidate{{ g }},
        user_id,
        {{ unnest_list(list_literal(ks)) }} as k,
        {{ unnest_list('[' ~ columns_per_k('n_items_', ks) ~ ']') }} as n_items,
        {{ unnest_list('[' ~ columns_per_k('popularity_', ks) ~ ']') }} as popularity_sum,
        {%- if dropped %}
        {{ unnest_list('[' ~ columns_per_k('known_', ks) ~ ']') }} as n_known,
        {%- endif %}
        {{ unnest_list('[' ~ columns_per_k('seen_', ks) ~ ']') }} as seen_count,
        {{ unnest_list('[' ~ columns_per_k('novelty_', ks) ~ ']') }} as novelty_sum,
        {{ unnest_list('[' ~ columns_per_k('iuf_', ks) ~ ']') }} as iuf_sum,
        {{ unnest_list('[' ~ columns_per_k('tail_', ks) ~ ']') }} as tail_count,
        {{ unnest_list('[' ~ columns_per_k('serendipity_', ks) ~ ']') }} as serendipity_sum
    from per_list
)

select * from per_k where n_items > 0
{%- endmacro %}
