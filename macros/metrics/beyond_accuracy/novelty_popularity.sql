{#- The beyond-accuracy metrics of how popular or new the recommended items are: novelty
    (global and per user), avg_popularity and seen_rate per user, all read from
    beyond_list_stats (building_blocks.sql, conventions there), and item_novelty, the
    self-information beyond_list_stats sums. -#}

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
