-- the randomization test's sign flips: for replicate b and bucket_index i (below the largest
-- n_buckets of comparison_buckets), word = splitmix64(key_b xor i) of stream 1; the deltas
-- of bucket i keep their sign (+1) when the word's top bit is 0 and flip (-1) when it is 1
{{ config(materialized='table') }}

with buckets as (
    select {{ unnest_list(integer_range(0, '(select coalesce(max(n_buckets), 0) - 1 from ' ~ ref('comparison_buckets') ~ ')')) }}
        as bucket_index
),

word_inputs as (
    select r.replicate, b.bucket_index, r.replicate_key
    from {{ ref('comparison_replicates') }} as r
    cross join buckets as b
    where r.stream = 1
)

select replicate, bucket_index, case when {{ shift_right_uint64('word', 63) }} = 0 then 1 else -1 end as sign
from {{ with_splitmix64('word_inputs', 'xor(' ~ uint64_from_column('replicate_key') ~ ', ' ~ uint64('bucket_index') ~ ')', 'word') }}
