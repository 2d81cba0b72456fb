-- one row per rating: who rated what, how much, and when (ts a plain TIMESTAMP, UTC)
select
    "userId" as user_id,
    "movieId" as item_id,
    rating,
    {{ epoch_seconds_to_timestamp('"timestamp"') }} as ts
from {{ ref('ratings') }}
