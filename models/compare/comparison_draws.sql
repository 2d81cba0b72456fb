-- the bootstrap's draws, as counts: for every n_users that occurs in comparison_pairs,
-- replicate b and draw j = 0..n-1, word = splitmix64(key_b xor j) of stream 2 picks the user
-- index floor((word >> 32) * n / 2^32); `times` is how often replicate b drew user_index
{{ config(materialized='table') }}

with sizes as (
    select distinct n_users from {{ ref('comparison_pairs') }}
),

word_inputs as (
    select s.n_users, r.replicate, r.replicate_key, {{ unnest_list(integer_range(0, 's.n_users - 1')) }} as draw
    from sizes as s
    cross join {{ ref('comparison_replicates') }} as r
    where r.stream = 2
)

select n_users, replicate, {{ shift_right_uint64('(' ~ shift_right_uint64('word', 32) ~ ' * ' ~ uint64('n_users') ~ ')', 32) }} as user_index, count(*) as times
from {{ with_splitmix64('word_inputs', 'xor(' ~ uint64_from_column('replicate_key') ~ ', ' ~ uint64('draw') ~ ')', 'word') }}
group by all
