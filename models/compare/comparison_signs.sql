-- the randomization test's sign flips: for replicate b and user_index i (below the largest
-- n_users of comparison_pairs), word = splitmix64(key_b xor i) of stream 1; the delta of
-- user i keeps its sign (+1) when the word's top bit is 0 and flips (-1) when it is 1
{{ config(materialized='table') }}

with users as (
    select {{ unnest_list(integer_range(0, '(select coalesce(max(n_users), 0) - 1 from ' ~ ref('comparison_pairs') ~ ')')) }}
        as user_index
),

word_inputs as (
    select r.replicate, u.user_index, r.replicate_key
    from {{ ref('comparison_replicates') }} as r
    cross join users as u
    where r.stream = 1
)

select replicate, user_index, case when {{ shift_right_uint64('word', 63) }} = 0 then 1 else -1 end as sign
from {{ with_splitmix64('word_inputs', 'xor(' ~ uint64_from_column('replicate_key') ~ ', ' ~ uint64('user_index') ~ ')', 'word') }}
