{#- The per-item counts of the beyond-accuracy metrics (catalog and distributional
    coverage, gini, personalization; coverage.sql): beyond_item_counts and its parts. The
    other building blocks and the group_by helpers are in building_blocks.sql. -#}

{#- building block: one row per (candidate[, group_by], k, item_id) recommended in some
    top K, with n_rows (the top-K lists holding it), n_train and cosine_weight = the sum
    over those lists of 1 / sqrt(the list's length at k), what personalization squares.
    `recs` needs candidate, user_id, item_id and rank (beyond_top_rows, not the view
    beyond_recs: the counts need none of its joins); `items` has each item's n_train
    (beyond_items), joined once per item after the rows are counted. `list_stats` is
    beyond_list_stats over the same recs and group_by, and says which groups each list
    (candidate, user_id) is in: `recs` needs no group_by column, and a row counts in
    every group of its list. -#}
{% macro beyond_item_counts(recs, list_stats, items, k_values, group_by=[]) -%}
with per_item as (
    {{ beyond_item_counts_side_by_side(recs, list_stats, items, k_values, group_by) | indent(4) }}
)

{{ item_counts_per_k('per_item', k_values, group_by) }}
{%- endmacro %}

{#- the counts of beyond_item_counts with the Ks side by side: one row per
    (candidate[, group_by], item_id) with n_train, n_rows_<k> and cosine_weight_<k> for
    every K (n_rows_<k> is 0 and cosine_weight_<k> null when no top-K list holds the
    item). Five times fewer rows than one per K, for a caller that adds counts up before
    item_counts_per_k turns them into one row per K. The aggregate over every row holds
    counts and nothing else: with each item's n_train in it too (a max per group),
    slice_beyond_item_counts at 1M users under memory_limit 800MB spilled 1.96 GB
    instead of 0.11 GB (10.8 s instead of 7.8 s).
    A row of a list that holds k items at k weighs 1 / sqrt(k) at k, so those rows are
    only counted (n_rows / sqrt(k) after the aggregate); the weights are summed only for
    the rows of the other lists (short_lists: none when every list holds max(k_values)
    items ranked 1 to n). A sum of weights per K beside the counts made the aggregate's
    state three times larger: at 1M users x 3 slice combinations under memory_limit
    800MB it spilled 4.7 GB (15.6 s), the counts alone nothing (8.4 s); at 10M users and
    8GB, slice_beyond_item_counts ran out of memory.
    Joined on the list alone: the group equality on top let DuckDB join the lists with
    another relation on the group first, a join of every list with every list of its
    group (it spilled more than 10 GB at 200k users). -#}
{% macro beyond_item_counts_side_by_side(recs, list_stats, items, k_values, group_by=[]) -%}
{%- set ks = cutoffs_text(k_values).split(',') | map('int') | list %}
{%- set g = beyond_groups(group_by) %}
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
        r.candidate{{ beyond_groups(group_by, 'l') }},
        r.item_id
        {%- for k in ks %},
        count(case when r.rank <= {{ k }} then 1 end) as n_rows_{{ k }}
        {%- endfor %}
    from {{ recs }} as r
    inner join lengths as l on l.candidate = r.candidate and l.user_id = r.user_id
    where r.rank <= {{ ks | max }}
    group by r.candidate{{ beyond_groups(group_by, 'l') }}, r.item_id
),

-- the lists with fewer than k items at some k (a null length: no row at that k)
short_lists as (
    select * from lengths
    where {% for k in ks %}n_items_{{ k }} <> {{ k }}{{ ' or ' if not loop.last }}{% endfor %}
),

short_weights as (
    select
        r.candidate{{ beyond_groups(group_by, 'l') }},
        r.item_id
        {%- for k in ks %},
        count(case when r.rank <= {{ k }} and l.n_items_{{ k }} <> {{ k }} then 1 end) as short_rows_{{ k }},
        sum(case when r.rank <= {{ k }} and l.n_items_{{ k }} <> {{ k }} then 1.0 / sqrt(l.n_items_{{ k }}) end) as short_weight_{{ k }}
        {%- endfor %}
    from {{ recs }} as r
    inner join short_lists as l on l.candidate = r.candidate and l.user_id = r.user_id
    where r.rank <= {{ ks | max }}
    group by r.candidate{{ beyond_groups(group_by, 'l') }}, r.item_id
)

select
    p.candidate{{ beyond_groups(group_by, 'p') }},
    p.item_id,
    i.n_train
    {%- for k in ks %},
    p.n_rows_{{ k }},
    case when p.n_rows_{{ k }} > 0 then
        (p.n_rows_{{ k }} - coalesce(s.short_rows_{{ k }}, 0)) / sqrt({{ k }}) + coalesce(s.short_weight_{{ k }}, 0)
    end as cosine_weight_{{ k }}
    {%- endfor %}
from per_item as p
inner join {{ items }} as i on i.item_id = p.item_id
left join short_weights as s
    on s.candidate = p.candidate and s.item_id = p.item_id{{ beyond_same_groups(group_by, 's', 'p') }}
{%- endmacro %}

{#- the rows of beyond_item_counts from `relation`, shaped like beyond_item_counts_side_by_side
    (candidate[, group_by], item_id, n_train, n_rows_<k>, cosine_weight_<k>): one row per K
    whose n_rows is above 0 -#}
{% macro item_counts_per_k(relation, k_values, group_by=[]) -%}
{%- set ks = cutoffs_text(k_values).split(',') | map('int') | list %}
{%- set g = beyond_groups(group_by) %}
select * from (
    select
        candidate{{ g }},
        item_id,
        n_train,
        {{ unnest_list(list_literal(ks)) }} as k,
        {{ unnest_list('[' ~ columns_per_k('n_rows_', ks) ~ ']') }} as n_rows,
        {{ unnest_list('[' ~ columns_per_k('cosine_weight_', ks) ~ ']') }} as cosine_weight
    from {{ relation }}
) as per_k
where n_rows > 0
{%- endmacro %}
