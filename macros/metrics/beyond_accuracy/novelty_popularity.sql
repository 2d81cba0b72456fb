{#- The beyond-accuracy metrics of how popular or new the recommended items are: novelty
    (global and per user), avg_popularity and seen_rate per user, all read from
    beyond_list_stats (building_blocks.sql, conventions there), and item_novelty, the
    self-information beyond_list_stats sums; inverse_user_frequency, tail_share and
    serendipity per user, read from beyond_recs rows (n_train_users, is_tail,
    popularity_rank) in a pass of their own. -#}

{#- returns -log2(n_train / total): an item's self-information in train, 0 when unseen -#}
{% macro item_novelty(n_train, n_train_total) -%}
case when {{ n_train }} > 0 then -log2({{ n_train }} * 1.0 / {{ n_train_total }}) else 0.0 end
{%- endmacro %}

{#- novelty@K: the mean over all top-K rows of -log2(p_i), p_i = the item's share of the
    train interactions; items unseen in train count 0 and stay in the mean -#}
{% macro novelty_at_k(list_stats, group_by=[]) -%}
{%- set g = beyond_groups(group_by) %}
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
select candidate{{ beyond_groups(group_by) }}, user_id, 'novelty' as metric, k, novelty_sum / n_items as value
from {{ list_stats }}
{%- endmacro %}

{#- avg_popularity@K (ARP) per user: the mean train interactions of the top-K items -#}
{% macro avg_popularity_at_k(list_stats, group_by=[]) -%}
select
    candidate{{ beyond_groups(group_by) }},
    user_id,
    'avg_popularity' as metric,
    k,
    cast(popularity_sum as double) / n_items as value
from {{ list_stats }}
{%- endmacro %}

{#- seen_rate@K per user: the share of the top-K items the user already had in train -#}
{% macro seen_rate_at_k(list_stats, group_by=[]) -%}
select
    candidate{{ beyond_groups(group_by) }},
    user_id,
    'seen_rate' as metric,
    k,
    cast(seen_count as double) / n_items as value
from {{ list_stats }}
{%- endmacro %}

{#- returns per (candidate, user_id, k) of the non-empty top-K lists of `recs` (shaped like
    beyond_recs) the list's n_items and the sum of `row_value` over its rows, as a
    parenthesized query: one pass, one conditional aggregate per K, then unnested -#}
{% macro _beyond_row_sums(recs, row_value, k_values, extra_from='') -%}
{%- set ks = cutoffs_text(k_values).split(',') | map('int') | list %}
(
    select * from (
        select
            candidate,
            user_id,
            {{ unnest_list(list_literal(ks)) }} as k,
            {{ unnest_list('[' ~ columns_per_k('n_items_', ks) ~ ']') }} as n_items,
            {{ unnest_list('[' ~ columns_per_k('value_sum_', ks) ~ ']') }} as value_sum
        from (
            select
                r.candidate,
                r.user_id
                {%- for k in ks %},
                count(case when r.rank <= {{ k }} then 1 end) as n_items_{{ k }},
                sum(case when r.rank <= {{ k }} then {{ row_value }} end) as value_sum_{{ k }}
                {%- endfor %}
            from {{ recs }} as r{{ extra_from }}
            where r.rank <= {{ ks | max }}
            group by r.candidate, r.user_id
        ) as per_list
    ) as per_k
    where n_items > 0
)
{%- endmacro %}

{#- inverse_user_frequency@K per user (RecTools' MeanInvUserFreq): the mean over the top-K
    items of -log2(users who had the item in train / users in train); an item unseen in
    train counts as had by one user -#}
{% macro inverse_user_frequency_at_k(recs, train, k_values) -%}
{%- set users = ' cross join (select count(distinct cast(user_id as varchar)) as n_users from ' ~ train ~ ') as t' %}
select candidate, user_id, 'inverse_user_frequency' as metric, k, value_sum / n_items as value
from {{ _beyond_row_sums(recs, '-log2(greatest(r.n_train_users, 1) * 1.0 / t.n_users)', k_values, users) }} as sums
{%- endmacro %}

{#- tail_share@K per user (RecBole's TailPercentage): the share of the top-K items in the
    long tail (is_tail: the least interacted with long_tail_ratio of the train items, or
    unseen in train) -#}
{% macro tail_share_at_k(recs, k_values) -%}
select candidate, user_id, 'tail_share' as metric, k, value_sum * 1.0 / n_items as value
from {{ _beyond_row_sums(recs, 'case when r.is_tail then 1 else 0 end', k_values) }} as sums
{%- endmacro %}

{#- serendipity@K per user (RecTools' Serendipity): the mean over the top-K rows of
    rel_i x max(p_user - p_any, 0), rel_i = 1 for a relevant label of the user,
    p_user = (N + 1 - rank) / N, p_any = (N + 1 - the item's popularity_rank) / N (0 for an
    item unseen in train), N = the distinct items in train -#}
{% macro serendipity_at_k(recs, relevant, train, k_values) -%}
{%- set joins = ' left join ' ~ relevant ~ ' as l on l.user_id = r.user_id and l.item_id = r.item_id'
    ~ ' cross join (select count(distinct cast(item_id as varchar)) as n_catalog from ' ~ train ~ ') as c' %}
{%- set p_user = '(c.n_catalog + 1 - r.rank) * 1.0 / c.n_catalog' %}
{%- set p_any = 'coalesce((c.n_catalog + 1 - r.popularity_rank) * 1.0 / c.n_catalog, 0.0)' %}
select candidate, user_id, 'serendipity' as metric, k, value_sum / n_items as value
from {{ _beyond_row_sums(recs, 'case when l.item_id is null then 0.0 else greatest(' ~ p_user ~ ' - ' ~ p_any ~ ', 0.0) end', k_values, joins) }} as sums
{%- endmacro %}
