{#- The rows of recs before tied ranks are broken, shared by recs, the per-list checks of
    recs_lists and the ties of recs_ties (both upstream of recs: recs breaks the ties they
    find, and the rank tests of recs read recs_lists). -#}

{#- returns recs' rows (candidate, user_id, item_id, rank, score): candidate_files' rows
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

{#- returns var rank_ties: 'break' (default: a list where items share a rank is renumbered
    1..n by rank, then score descending, then item_id descending) or 'error' (recs keeps the
    shared ranks and the test recs_rank_unique_per_list fails) -#}
{% macro rank_ties() -%}
{%- set value = var('rank_ties', 'break') -%}
{%- if value not in ('break', 'error') -%}
{{ raise_error("var rank_ties must be 'break' or 'error', got " ~ value) }}
{%- endif -%}
{{ value }}
{%- endmacro %}

{#- returns the join condition of two relations on their list (candidate, user_id) -#}
{% macro same_list(left, right) -%}
{{ left }}.candidate = {{ right }}.candidate and {{ left }}.user_id = {{ right }}.user_id
{%- endmacro %}
