-- one row per rating: who rated what, how much, and when (ts a plain TIMESTAMP, UTC)
-- the demo's dataset: off when evaluation.labels and evaluation.train are given (nothing reads it then)
{{ config(enabled=not (evaluation.labels and evaluation.train)) }}
select
    "userId" as user_id,
    "movieId" as item_id,
    rating,
    {{ epoch_seconds_to_timestamp('"timestamp"') }} as ts
from {{ ref('ratings') }}
