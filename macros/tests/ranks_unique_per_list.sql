{#- Generic data test: returns the lists (rows grouped by `list_columns`) in which two rows
    share a rank, per block of 64 ranks, with the rows and distinct ranks of the block.
    Instead of a group per (list, rank), which costs as much as the rows, each (list,
    block) group ORs one bit per rank into a 64-bit word: fewer bits set than rows means
    a shared rank. Ranks below 1 are left to the rank range test. With `within` (a
    relation of lists, such as recs_lists) and `within_where` (a condition on it, such as
    to_check), only the rows of those lists are looked at. -#}
{% test ranks_unique_per_list(model, list_columns, rank_column='rank', within=none, within_where='true') %}
with blocks as (
    select
        {{ list_columns | join(', ') }},
        floor(({{ rank_column }} - 1) / 64) as rank_block,
        count(*) as n_rows,
        {{ bits_set(bits_or(single_bit('(' ~ rank_column ~ ' - 1) % 64'))) }} as n_distinct_ranks
    {%- if within is not none %}
    from {{ rows_of_lists(model, within, list_columns, within_where, rank_column ~ ' >= 1') }} as rows_checked
    {%- else %}
    from {{ model }} as rows_checked
    where {{ rank_column }} >= 1
    {%- endif %}
    group by {{ list_columns | join(', ') }}, floor(({{ rank_column }} - 1) / 64)
)

select {{ list_columns | join(', ') }}, rank_block, n_rows, n_distinct_ranks
from blocks
where n_distinct_ranks < n_rows
{% endtest %}

{#- Generic data test: returns the rows of `model` where `condition` holds, among the rows of
    the lists of `within` where `within_where` holds (joined on `list_columns`, nulls
    matching nulls). For checks that an aggregate per list has already narrowed down to a
    few lists (recs_lists where to_check). -#}
{% test no_rows_where_in_lists(model, condition, within, list_columns, within_where='true', column_name=none) %}
select *
from {{ rows_of_lists(model, within, list_columns, within_where, condition) }} as rows_checked
{% endtest %}

{#- returns the rows of `model` that belong to the lists of `lists` (a relation with the
    `list_columns`, one row per list) where `where` holds, nulls matching nulls, and for
    which `rows_where` holds. `rows_where` is evaluated above the join on purpose: pushed
    down to the scan of `model` it would let the scan run to its end even when no list is
    to be looked at; above the join, an empty `lists` stops the scan at its first rows. -#}
{% macro rows_of_lists(model, lists, list_columns, where='true', rows_where='true') -%}
(
    select m.*
    from {{ model }} as m
    inner join (select {{ list_columns | join(', ') }}, true as listed from {{ lists }} where {{ where }}) as l
        on {% for c in list_columns %}l.{{ c }} is not distinct from m.{{ c }}{{ " and " if not loop.last }}{% endfor %}
    where case when l.listed then ({{ rows_where }}) else false end
)
{%- endmacro %}
