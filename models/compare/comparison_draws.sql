-- the bootstrap's draws, as counts: for every n_buckets that occurs in comparison_buckets,
-- replicate b and draw j = 0..n-1, word = splitmix64(key_b xor j) of stream 2 picks the
-- bucket index uniform_index(word, n) = floor((word >> 32) * n / 2^32); `times` is how
-- often replicate b drew bucket_index. At most B x G rows per size, whatever the users.
{{ config(materialized='table') }}

with sizes as (
    select distinct n_buckets from {{ ref('comparison_buckets') }}
),

word_inputs as (
    select s.n_buckets, r.replicate, r.replicate_key, {{ unnest_list(integer_range(0, 's.n_buckets - 1')) }} as draw
    from sizes as s
    cross join {{ ref('comparison_replicates') }} as r
    where r.stream = 2
)

select n_buckets, replicate, {{ uniform_index('word', 'n_buckets') }} as bucket_index, count(*) as times
from {{ with_splitmix64('word_inputs', 'xor(' ~ uint64_from_column('replicate_key') ~ ', ' ~ uint64('draw') ~ ')', 'word') }}
group by all
