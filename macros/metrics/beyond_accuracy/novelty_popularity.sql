{#- The beyond-accuracy metrics of how popular or new the recommended items are: novelty
    (global and per user), avg_popularity and seen_rate per user, all read from
    beyond_list_stats (building_blocks.sql, conventions there), and item_novelty, the
    self-information beyond_list_stats sums; inverse_user_frequency, tail_share and
    serendipity per user, from the sums beyond_list_stats adds up in the same pass
    (item_inverse_user_frequency, is_tail, item_serendipity). -#}

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

{#- avg_popularity@K (ARP) per user: the mean train interactions of the top-K items (the
    conventions rules popularity and unseen_items: under train_users, the mean distinct
    train users; under dropped, the mean over the items seen in train, no row without one) -#}
{% macro avg_popularity_at_k(list_stats, group_by=[]) -%}
select
    candidate{{ beyond_groups(group_by) }},
    user_id,
    'avg_popularity' as metric,
    k,
    {%- if convention('unseen_items') == 'dropped' %}
    cast(popularity_sum as double) / n_known as value
from {{ list_stats }}
where n_known > 0
    {%- else %}
    cast(popularity_sum as double) / n_items as value
from {{ list_stats }}
    {%- endif %}
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

{#- returns -log2(users who had the item in train / users in train), an item unseen in
    train counting as had by one user: the term inverse_user_frequency averages (null
    without train: no user had anything) -#}
{% macro item_inverse_user_frequency(n_item_users, n_train_users) -%}
{%- if convention('unseen_items') == 'dropped' -%}
{#- the conventions rule unseen_items dropped: an unseen item has no term (null) -#}
case when {{ n_item_users }} > 0 then -log2({{ n_item_users }} * 1.0 / {{ n_train_users }}) end
{%- else -%}
case when {{ n_train_users }} > 0 then -log2(greatest({{ n_item_users }}, 1) * 1.0 / {{ n_train_users }}) end
{%- endif -%}
{%- endmacro %}

{#- returns rel x max(p_user - p_any, 0) for one recommended row, rel = 1 when the item is
    a relevant label of the user, p_user = (N + 1 - rank) / N and p_any = (N + 1 - the
    item's popularity_rank) / N (0 for an item unseen in train), N the distinct items in
    train: the term serendipity averages (null without train) -#}
{% macro item_serendipity(is_relevant, rank, popularity_rank, n_catalog) -%}
case when {{ n_catalog }} = 0 then null when {{ is_relevant }} then greatest(
    ({{ n_catalog }} + 1 - {{ rank }}) * 1.0 / {{ n_catalog }}
    - coalesce(({{ n_catalog }} + 1 - {{ popularity_rank }}) * 1.0 / {{ n_catalog }}, 0.0), 0.0)
else 0.0 end
{%- endmacro %}

{#- inverse_user_frequency@K per user (RecTools' MeanInvUserFreq): the mean over the top-K
    items of item_inverse_user_frequency, from beyond_list_stats -#}
{% macro inverse_user_frequency_at_k(list_stats) -%}
{%- if convention('unseen_items') == 'dropped' %}
{#- the conventions rule unseen_items dropped: the mean over the items seen in train -#}
select candidate, user_id, 'inverse_user_frequency' as metric, k, iuf_sum / n_known as value
from {{ list_stats }}
where n_known > 0
{%- else -%}
select candidate, user_id, 'inverse_user_frequency' as metric, k, iuf_sum / n_items as value
from {{ list_stats }}
{%- endif %}
{%- endmacro %}

{#- tail_share@K per user (RecBole's TailPercentage): the share of the top-K items in the
    long tail (is_tail: the least interacted with long_tail_ratio of the train items, or
    unseen in train), from beyond_list_stats -#}
{% macro tail_share_at_k(list_stats) -%}
select candidate, user_id, 'tail_share' as metric, k, tail_count * 1.0 / n_items as value
from {{ list_stats }}
{%- endmacro %}

{#- serendipity@K per user (RecTools' Serendipity): the mean over the top-K rows of
    item_serendipity, from beyond_list_stats built with the relevant labels -#}
{% macro serendipity_at_k(list_stats) -%}
select candidate, user_id, 'serendipity' as metric, k, serendipity_sum / n_items as value
from {{ list_stats }}
{%- endmacro %}
