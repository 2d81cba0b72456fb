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
        {{ whole_rank('rank') }} as rank,
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

{#- returns one row per list (candidate, user_id) of `rows` (candidate, user_id, item_id,
    rank: whole numbers or null): n_rows; to_check, true when a rank rule may be broken in
    it: a row without a rank, a rank below 1, or two rows at one rank; ranked_one_to_n, true
    when its ranks are exactly 1..n_rows. One aggregate per list holds the ranks 1 to 64 x
    words as bits (words from max(k_values)), so a rank shared among those is found
    exactly; a list with a higher rank is checked as a whole. With find_copies, also
    has_copies: the list (of a known user) holds some item on more than one row; its items,
    sorted in the same aggregate, show a repeated item next to its copy. -#}
{% macro list_rank_checks(rows, find_copies=false) -%}
{%- set words = ((max_k() | int) + 63) // 64 %}
{%- set distinct_ranks %}{% for word in range(words) %}coalesce({{ bits_set('ranks_' ~ word) }}, 0) + {% endfor %}0{% endset %}
(
    with per_list as (
        select
            candidate,
            user_id,
            count(*) as n_rows,
            count(rank) as n_ranked,
            min(rank) as min_rank,
            max(rank) as max_rank,
            {%- if find_copies %}
            list_sort(list(item_id)) as sorted_items,
            {%- endif %}
            {%- for word in range(words) %}
            {{ bits_or('case when rank > ' ~ 64 * word ~ ' and rank <= ' ~ 64 * (word + 1)
                       ~ ' then ' ~ single_bit('rank - ' ~ (64 * word + 1)) ~ ' end') }} as ranks_{{ word }}{{ "," if not loop.last }}
            {%- endfor %}
        from {{ rows }} as list_rows
        group by candidate, user_id
    )

    select
        candidate,
        user_id,
        n_rows,
        n_ranked < n_rows or min_rank < 1 or max_rank > {{ 64 * words }} or {{ distinct_ranks }} < n_rows
            as to_check,
        -- n distinct whole ranks from 1 whose largest is n: 1..n (to_check covers the first two)
        n_ranked = n_rows and min_rank >= 1 and max_rank = n_rows and {{ distinct_ranks }} = n_rows
            as ranked_one_to_n
        {%- if find_copies %},
        -- null items never equal each other, so they are never copies
        user_id is not null and {{ sorted_list_has_repeat('sorted_items') }} as has_copies
        {%- endif %}
    from per_list
)
{%- endmacro %}

{#- returns a rank as recs holds it: a whole number as bigint, anything else as null -#}
{% macro whole_rank(rank) -%}
case when {{ rank }} = floor({{ rank }}) then cast({{ rank }} as bigint) end
{%- endmacro %}

{#- returns a candidate's name as a value of the candidate column: on DuckDB a value of the
    ENUM of the names a project's lists can have (the candidate files' and the baselines
    evaluation.baselines turns on, all built-in ones when it is not set), text for a name
    not among them (a baseline a project adds) and on Spark. Every table of lists repeats
    its candidate on each row: 20M rows of a text column took 0.6 s to write against 0.2 s
    as an enum (bench/RESULTS.md), and grouping or joining on the enum's one byte is cheaper
    too. The names are in sorted order, so the enum sorts as the text would; a union with
    text, or a comparison with it, is text. -#}
{% macro candidate_name(name) -%}
{%- if name | string in candidate_names().split('\n') -%}
cast({{ sql_string(name) }} as {{ candidate_type() }})
{%- else -%}
{{ sql_string(name) }}
{%- endif %}
{%- endmacro %}

{#- returns the SQL type of the candidate column: the ENUM on DuckDB (varchar when the
    project has no name at all), varchar on Spark -#}
{% macro candidate_type() -%}
{{ dispatch('candidate_type')() }}
{%- endmacro %}
{% macro default__candidate_type() -%}
{%- set names = candidate_names() %}
{%- if names -%}
enum({% for n in names.split('\n') %}{{ sql_string(n) }}{{ ', ' if not loop.last }}{% endfor %})
{%- else -%}
varchar
{%- endif %}
{%- endmacro %}

{#- returns the names of the built-in baselines that recommend lists, joined by commas -#}
{% macro builtin_baselines() -%}
popular,popular_recent,item_cooccurrence,random
{%- endmacro %}

{#- returns the candidates' names, sorted (case-sensitively), joined by line breaks (a name
    holding a line break is then not found by candidate_name, and stays text) -#}
{% macro candidate_names() -%}
{%- set baselines = evaluation.baselines if evaluation.baselines is not none
                    else builtin_baselines().split(',') %}
{%- set names = (evaluation.candidates or {}) | list + baselines | list %}
{{- names | map('string') | unique(case_sensitive=true) | sort(case_sensitive=true) | join('\n') }}
{%- endmacro %}
