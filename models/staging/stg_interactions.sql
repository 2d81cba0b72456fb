-- one row per rating: who rated what, how much, and when
select
    "userId" as user_id,
    "movieId" as item_id,
    rating,
    make_timestamp("timestamp" * 1000000) as ts
from {{ ref('ratings') }}
