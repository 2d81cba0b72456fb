{#- Building blocks of the baseline recommenders (models/candidates). -#}

{#- returns how many positions of a global ranking a user needs so that max_k items remain
    once the user's seen items are removed (only when exclude_seen is on) -#}
{% macro positions_needed(n_seen_column) -%}
{%- if boolean_var('exclude_seen', true) == 'true' -%}
{{ max_k() }} + {{ n_seen_column }}
{%- else -%}
{{ max_k() }}
{%- endif -%}
{%- endmacro %}

{#- returns rows (user_id, item_id, pool_position, score): for every user to recommend for, the
    items of a global ranking (`ranking` with columns item_id, `rank_column`,
    `score_column`) at the first positions_needed positions. An equi-join on generated
    positions, so the cost is users x positions, not users x catalog. -#}
{% macro global_ranking_pool(ranking, rank_column, score_column) -%}
(
    select p.user_id, r.item_id, p.pool_position, cast(r.score as double) as score
    from (
        select user_id, {{ unnest_list(integer_range(1, positions_needed('n_seen'))) }} as pool_position
        from {{ ref('candidate_users') }}
    ) as p
    inner join {{ ranking_cut(ranking, rank_column, score_column,
                              'select max(' ~ positions_needed('n_seen') ~ ') from ' ~ ref('candidate_users')) }} as r
        on r.pool_position = p.pool_position
)
{%- endmacro %}

{#- returns (pool_position, item_id, score): the items of `ranking` at the positions up to
    `deepest` (a query of one value: the deepest position any user's pool reaches), not the
    whole catalogue. Joined with every user's positions (20M rows at 200k users), the whole
    ranking made DuckDB build its hash table on the positions: 2.7 s against 0.6 s for
    the cut one (bench/RESULTS.md). -#}
{% macro ranking_cut(ranking, rank_column, score_column, deepest) -%}
(
    select {{ rank_column }} as pool_position, item_id, {{ score_column }} as score
    from {{ ranking }}
    where {{ rank_column }} <= ({{ deepest }})
)
{%- endmacro %}

{#- returns the lists of a baseline that ranks every user's items by one global ranking
    (`ranking`: item_id, `rank_column` = 1, 2, ..., `score_column`): per user the first max_k
    items the user did not have in train (with exclude_seen), as (candidate, user_id,
    item_id, rank, score). The rows top_unseen_items gives over global_ranking_pool, without
    a window over users x positions: a user's unseen positions are the runs between the
    positions of the items they saw, and position q in the run after their j-th seen item
    has rank q - j. Only the seen items are numbered (a window over train's rows in the
    pool), so the cost is the lists written plus the seen items. -#}
{% macro top_unseen_of_ranking(ranking, rank_column, score_column, candidate) -%}
{%- if boolean_var('exclude_seen', true) != 'true' %}
select {{ candidate_name(candidate) }} as candidate, user_id, item_id, pool_position as rank, score
from {{ global_ranking_pool(ranking, rank_column, score_column) }} as pool
{%- else %}
with pool_sizes as (
    select user_id, {{ positions_needed('n_seen') }} as n_positions
    from {{ ref('candidate_users') }}
),

seen_positions as (
    select distinct t.user_id, r.{{ rank_column }} as position
    from {{ ref('train') }} as t
    inner join {{ ranking }} as r on r.item_id = t.item_id
    inner join pool_sizes as u on u.user_id = t.user_id
    where r.{{ rank_column }} <= u.n_positions
),

numbered_seen as (
    select
        user_id,
        position,
        row_number() over (partition by user_id order by position) as n_seen_so_far,
        lead(position) over (partition by user_id order by position) as next_seen
    from seen_positions
),

unseen_runs as (
    -- the run before a user's first seen position, then the run after each seen position
    select u.user_id, 0 as n_seen_so_far, 0 as run_after, coalesce(f.first_seen, u.n_positions + 1) as run_before
    from pool_sizes as u
    left join (
        select user_id, min(position) as first_seen from seen_positions group by user_id
    ) as f on f.user_id = u.user_id
    union all
    select n.user_id, n.n_seen_so_far, n.position as run_after, coalesce(n.next_seen, u.n_positions + 1) as run_before
    from numbered_seen as n
    inner join pool_sizes as u on u.user_id = n.user_id
),

unseen_positions as (
    select user_id, n_seen_so_far, {{ unnest_list(integer_range('run_after + 1', 'run_before - 1')) }} as pool_position
    from unseen_runs
    where run_before - run_after > 1
),

-- the positions up to max_k + the most items one user saw
pool as {{ ranking_cut(ranking, rank_column, score_column, 'select max(n_positions) from pool_sizes') }}

select
    {{ candidate_name(candidate) }} as candidate,
    p.user_id,
    r.item_id,
    p.pool_position - p.n_seen_so_far as rank,
    cast(r.score as double) as score
from unseen_positions as p
inner join pool as r on r.pool_position = p.pool_position
where p.pool_position - p.n_seen_so_far <= {{ max_k() }}
{%- endif %}
{%- endmacro %}

{#- returns the baseline's lists as one select: the rows of `pool` (a relation or a
    parenthesized query with user_id, item_id, score) ordered per user by `order_by`,
    without the items the user had in train when exclude_seen is on, cut at max_k, as
    (candidate, user_id, item_id, rank, score) -#}
{% macro top_unseen_items(pool, candidate, order_by) -%}
select {{ candidate_name(candidate) }} as candidate, user_id, item_id, rank, score
from (
    select
        p.user_id,
        p.item_id,
        p.score,
        row_number() over (partition by p.user_id order by {{ order_by }}) as rank
    from {{ pool }} as p
    {%- if boolean_var('exclude_seen', true) == 'true' %}
    where not exists (
        select 1 from {{ ref('train') }} as t
        where t.user_id = p.user_id and t.item_id = p.item_id
    )
    {%- endif %}
) as ranked
where rank <= {{ max_k() }}
{%- endmacro %}

{#- returns the train interactions the baselines learn their statistics from (popularity,
    co-occurrences, the catalog): train without its last retrain_lag_days days (var, default
    0: all of it), as a model retrained that long ago would have seen; rows without a ts
    are kept. What a user had in train (seen items, recent items) always reads all of train. -#}
{% macro baseline_train() -%}
{%- set lag = var('retrain_lag_days', 0) -%}
{%- if lag is not integer or lag is boolean or lag < 0 -%}
{{ raise_error("var retrain_lag_days must be a whole number of days, 0 or more, got " ~ lag) }}
{%- endif -%}
{%- if lag == 0 -%}
{{ ref('train') }}
{%- else -%}
(
    select * from {{ ref('train') }}
    where ts is null or ts <= (select {{ days_before('max(ts)', lag) }} from {{ ref('train') }})
)
{%- endif -%}
{%- endmacro %}
