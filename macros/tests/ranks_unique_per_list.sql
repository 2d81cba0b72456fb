{#- Generic data test: returns the lists (rows grouped by `list_columns`) in which two rows
    share a rank, per block of 64 ranks, with the rows and distinct ranks of the block.
    Instead of a group per (list, rank), which costs as much as the rows, each (list,
    block) group ORs one bit per rank into a 64-bit word: fewer bits set than rows means
    a shared rank. Ranks below 1 are left to the rank range test. -#}
{% test ranks_unique_per_list(model, list_columns, rank_column='rank') %}
with blocks as (
    select
        {{ list_columns | join(', ') }},
        floor(({{ rank_column }} - 1) / 64) as rank_block,
        count(*) as n_rows,
        {{ bits_set(bits_or(single_bit('(' ~ rank_column ~ ' - 1) % 64'))) }} as n_distinct_ranks
    from {{ model }}
    where {{ rank_column }} >= 1
    group by {{ list_columns | join(', ') }}, floor(({{ rank_column }} - 1) / 64)
)

select {{ list_columns | join(', ') }}, rank_block, n_rows, n_distinct_ranks
from blocks
where n_distinct_ranks < n_rows
{% endtest %}
