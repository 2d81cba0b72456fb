{#- The rows of recs, shared by the recs view and the per-list checks of recs_lists (which
    reads them directly, not through recs, so that it is not skipped when a test of recs
    fails: the rank tests need it). -#}

{#- returns recs' rows (candidate, user_id, item_id, rank, score): the candidate files' rows
    with each duplicated key's copies replaced by its row of recs_duplicates, and the
    baselines' lists; ranks kept as they are, a rank that is not a whole number as null -#}
{% macro recs_rows() -%}
(
    with file_rows as (
        -- without duplicated rows (the usual case) every file row is kept as it is, and a
        -- reader that needs only some columns reads only those; otherwise an anti join drops
        -- the copies. An explicit anti join: a correlated "not exists" is planned as a
        -- distinct over every row's key, and DuckDB 2.0 drops a LIMIT over "left join ...
        -- where key is null"
        select f.candidate, f.user_id, f.item_id, f.rank, f.score
        from {{ ref('candidate_files') }} as f
        where not (select count(*) > 0 from {{ ref('recs_duplicates') }})
        union all
        select f.candidate, f.user_id, f.item_id, f.rank, f.score
        from {{ ref('candidate_files') }} as f
        anti join {{ ref('recs_duplicates') }} as d
            on d.candidate = f.candidate and d.user_id = f.user_id and d.item_id = f.item_id
        where (select count(*) > 0 from {{ ref('recs_duplicates') }})
    ),

    unique_rows as (
        select candidate, user_id, item_id, rank, score from file_rows
        union all
        select candidate, user_id, item_id, rank, score from {{ ref('recs_duplicates') }}
        union all
        select candidate, user_id, item_id, rank, score from {{ ref('baseline_recs') }}
    )

    select
        candidate,
        user_id,
        item_id,
        case when rank = floor(rank) then cast(rank as bigint) end as rank,
        score
    from unique_rows
)
{%- endmacro %}
