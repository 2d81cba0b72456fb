-- one row per stream and replicate b = 1..B (var comparison_resamples): the 64-bit key that
-- seeds the replicate's draws, key = splitmix64(splitmix64(splitmix64(seed) xor stream) xor b)
-- with seed = var comparison_seed. Stream 1 drives the randomization test's sign flips,
-- stream 2 the bootstrap's draws (macros/stats/hashing.sql; docs/evaluation.md).
{{ config(materialized='table') }}

with settings as (
    select {{ comparison_seed() }} as seed
),

seeded as (
    select seed_key from {{ with_splitmix64('settings', 'seed', 'seed_key') }}
),

stream_inputs as (
    select s.stream, k.seed_key
    from seeded as k
    cross join (values (1), (2)) as s(stream)
),

streams as (
    select stream, stream_key
    from {{ with_splitmix64('stream_inputs', 'xor(seed_key, ' ~ uint64('stream') ~ ')', 'stream_key') }}
),

replicate_inputs as (
    select s.stream, r.replicate, s.stream_key
    from streams as s
    cross join (
        select {{ unnest_list(integer_range(1, comparison_resamples())) }} as replicate
    ) as r
)

select stream, replicate, {{ uint64_to_column('replicate_key') }} as replicate_key
from {{ with_splitmix64('replicate_inputs', 'xor(stream_key, ' ~ uint64('replicate') ~ ')', 'replicate_key') }}
