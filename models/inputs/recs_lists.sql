-- one row per list of recs (candidate, user_id): n_rows; to_check, true when a rank
-- rule may be broken in it (usually in none): a row without a rank, a rank below 1, or
-- two rows at one rank; and ranked_one_to_n, true when its ranks are exactly 1..n_rows
-- (then an item's place in the list is its rank, and recs_history needs no window). One aggregate per list holds the ranks 1 to 64 x words as bits
-- (words from max(k_values)), so a shared rank among those is found exactly; a list with
-- a higher rank is checked as a whole. The rank tests of recs look at the rows of the
-- lists to check only, instead of reading every row of recs once per test, and recs_ties
-- finds the tied ranks there. Reads recs' rows before ties are broken (macros/recs.sql):
-- recs is built after it.
{{ config(materialized='table') }}
{%- set words = ((max_k() | int) + 63) // 64 %}

with per_list as (
    select
        candidate,
        user_id,
        count(*) as n_rows,
        count(rank) as n_ranked,
        min(rank) as min_rank,
        max(rank) as max_rank,
        {%- for word in range(words) %}
        {{ bits_or('case when rank > ' ~ 64 * word ~ ' and rank <= ' ~ 64 * (word + 1)
                   ~ ' then ' ~ single_bit('rank - ' ~ (64 * word + 1)) ~ ' end') }} as ranks_{{ word }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ recs_rows() }} as recs_rows
    group by candidate, user_id
)

select
    candidate,
    user_id,
    n_rows,
    n_ranked < n_rows
        or min_rank < 1
        or max_rank > {{ 64 * words }}
        or {% for word in range(words) %}coalesce({{ bits_set('ranks_' ~ word) }}, 0) + {% endfor %}0 < n_rows
        as to_check,
    -- n distinct whole ranks from 1 whose largest is n: 1..n (to_check covers the first two)
    n_ranked = n_rows and min_rank >= 1 and max_rank = n_rows
        and {% for word in range(words) %}coalesce({{ bits_set('ranks_' ~ word) }}, 0) + {% endfor %}0 = n_rows
        as ranked_one_to_n
from per_list
