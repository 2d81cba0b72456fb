-- A snapshot of every candidate's lists per build (rank <= max(k_values)), so the next
-- build can measure how much they moved (stability). position is the item's place in its
-- list in rank order (1, 2, ...; the rank itself when ranks have no gaps). build_id is the
-- build's invocation id (as in target/run_results.json), built_at its start time (UTC).
-- Ids keep the inputs' type (text ids cost half as much again to write, measured at 200k
-- users); when a later build's ids are text and the history's are not, the history's ids
-- become text (an incremental model's column that turns to text does, in both targets).
-- The candidate stays the ENUM recs has (docs/evaluation.md): a text copy of it cost a fifth
-- of this model at 200k users; a build with a name the history lacks widens the history's
-- ENUM to both builds' names first.
-- A post hook keeps the last history_keep builds (default 2: stability compares the latest
-- build with the one before, and every build kept is copied aside while a build appends,
-- so that a failed build can put it back); `--full-refresh` starts the history again.
{%- set keep = positive_integer_var('history_keep', 2) %}
{{ config(
    materialized='incremental',
    post_hook="delete from " ~ this ~ " where build_id not in (select build_id from (select build_id, "
              ~ "max(built_at) as built_at from " ~ this ~ " group by build_id) as builds "
              ~ "order by built_at desc, build_id desc limit " ~ keep ~ ")"
) }}

-- not materialized: read by three branches below, DuckDB would otherwise copy every row of
-- recs aside first (at 1M users x 3 candidates, 61.2 s for this model instead of 39.7 s)
with recs_rows as not materialized (
    select candidate, user_id, item_id, rank, score
    from {{ ref('recs') }}
    where rank <= {{ max_k() }}
),

-- the lists whose places are not their ranks: ranks other than 1..n, or a duplicated row
-- dropped by recs (it leaves its rank empty). Usually none, so the joins below probe an
-- empty table instead of one holding every list; a window numbers the places of these only
renumbered_lists as (
    select candidate, user_id
    from {{ ref('recs_lists') }}
    where not ranked_one_to_n
    union
    select candidate, user_id
    from {{ ref('recs_duplicates') }}
),

placed as (
    select r.candidate, r.user_id, r.item_id, r.rank, r.rank as position, r.score
    from recs_rows as r
    anti join renumbered_lists as l on {{ same_list('l', 'r') }}
    union all
    select
        r.candidate, r.user_id, r.item_id, r.rank,
        row_number() over (partition by r.candidate, r.user_id order by r.rank) as position,
        r.score
    from recs_rows as r
    semi join renumbered_lists as l on {{ same_list('l', 'r') }}
)

select
    '{{ invocation_id }}' as build_id,
    cast('{{ run_started_at }}' as timestamp) as built_at,
    candidate,
    user_id,
    item_id,
    cast(rank as bigint) as rank,
    position,
    cast(score as double) as score
from placed
