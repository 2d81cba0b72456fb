-- one row per movie: its title without the year, the release year, and its genres as a list
-- the demo's dataset: off when evaluation.labels and evaluation.train are given (nothing reads it then)
{{ config(enabled=not (evaluation.labels and evaluation.train)) }}
with movies as (
    select
        "movieId" as item_id,
        trim(title) as raw_title,
        genres
    from {{ ref('movies') }}
),

parsed as (
    select
        item_id,
        trim(regexp_replace(raw_title, '\s*\((\d{4})\)$', '')) as title,
        cast(nullif(regexp_extract(raw_title, '\((\d{4})\)$', 1), '') as integer) as year,
        case
            when genres = '(no genres listed)' then cast([] as varchar[])
            else string_split(genres, '|')
        end as genres
    from movies
)

select item_id, title, year, genres
from parsed
