{#- The per-user beyond-accuracy metrics of a top K's genres, read from beyond_genre_sums
    (building_blocks.sql, conventions there): category_diversity and ild (intra-list
    diversity), and calibration_kl against the user's train genres. -#}

{#- returns per (candidate[, group_by], user_id, k) the squared cosine sums (added up
    exactly, as the cosine sums) and the number of items with a genre (each item's weights
    add up to 1), as a parenthesized query -#}
{% macro _beyond_genre_lists(genre_sums, group_by) -%}
(
    select
        candidate{{ beyond_groups(group_by) }},
        user_id,
        k,
        count(*) as n_genres,
        cast(sum({{ exact_number('cosine_sum * cosine_sum') }}) as double) as squared_sum,
        round(sum(weight_sum)) as n_items
    from {{ genre_sums }}
    group by candidate{{ beyond_groups(group_by) }}, user_id, k
)
{%- endmacro %}

{#- category_diversity@K per user: the distinct genres of the top-K items; users whose
    top K holds no item with a genre have no row -#}
{% macro category_diversity_at_k(genre_sums, group_by=[]) -%}
select
    candidate{{ beyond_groups(group_by) }},
    user_id,
    'category_diversity' as metric,
    k,
    cast(n_genres as double) as value
from {{ _beyond_genre_lists(genre_sums, group_by) }} as lists
{%- endmacro %}

{#- ild@K per user: 1 - the mean cosine similarity of the binary genre vectors over the
    pairs of top-K items with a genre: with s_g the list's cosine_sum of genre g and m its
    items with a genre, the sum over item pairs of the cosine is (sum_g s_g^2 - m) / 2.
    Users with fewer than two such items have no row. Under the conventions rule ild
    list_length (Evidently), every list of `list_stats` (beyond_list_stats) of n items:
    (n (n - 1) / 2 - the pairs' summed cosine) / n, an item without a genre similar to none;
    under all_pairs (Microsoft Recommenders), every list of two items or more:
    1 - the pairs' summed cosine / (n (n - 1) / 2). -#}
{% macro ild_at_k(genre_sums, group_by=[], list_stats=none) -%}
{%- set rule = convention('ild') %}
{%- if rule in ('list_length', 'all_pairs') %}
select
    s.candidate{{ beyond_groups(group_by, 's') }},
    s.user_id,
    'ild' as metric,
    s.k,
    {%- if rule == 'all_pairs' %}
    1.0 - (coalesce(g.squared_sum, 0.0) - coalesce(g.n_items, 0)) / (s.n_items * (s.n_items - 1.0)) as value
    {%- else %}
    (s.n_items * (s.n_items - 1) / 2.0 - (coalesce(g.squared_sum, 0.0) - coalesce(g.n_items, 0)) / 2.0)
        / s.n_items as value
    {%- endif %}
from {{ list_stats }} as s
left join {{ _beyond_genre_lists(genre_sums, group_by) }} as g
    on g.candidate = s.candidate and g.user_id = s.user_id and g.k = s.k{{ beyond_same_groups(group_by, 'g', 's') }}
{%- if rule == 'all_pairs' %}
where s.n_items >= 2
{%- endif %}
{%- else -%}
select
    candidate{{ beyond_groups(group_by) }},
    user_id,
    'ild' as metric,
    k,
    1.0 - (squared_sum - n_items) / (n_items * (n_items - 1)) as value
from {{ _beyond_genre_lists(genre_sums, group_by) }} as lists
where n_items >= 2
{%- endif %}
{%- endmacro %}

{#- calibration_kl@K per user (Steck 2018): KL(p || (1 - a) q + a p), natural log, with p
    the user's genre distribution in train (`user_genres`: user_key = the user id as text,
    genre, share) and q the top K's (weight_sum / items with a genre). Terms with
    p(g) = 0 are 0. Users without a train genre, or whose top K has no item with a genre,
    have no row. -#}
{% macro calibration_kl_at_k(genre_sums, user_genres, group_by=[], alpha=0.01) -%}
{%- set g = beyond_groups(group_by) %}
with lists as (
    select candidate{{ g }}, user_id, k, n_items, cast(user_id as varchar) as user_key
    from {{ _beyond_genre_lists(genre_sums, group_by) }} as lists
),

terms as (
    select
        l.candidate{{ beyond_groups(group_by, 'l') }},
        l.user_id,
        l.k,
        p.share * ln(p.share / ((1 - {{ alpha }}) * coalesce(q.weight_sum / l.n_items, 0.0) + {{ alpha }} * p.share))
            as term
    from lists as l
    inner join {{ user_genres }} as p on p.user_key = l.user_key
    left join {{ genre_sums }} as q
        on q.candidate = l.candidate and q.user_id = l.user_id and q.k = l.k and q.genre = p.genre
        {{- beyond_same_groups(group_by, 'q', 'l') }}
)

select
    candidate{{ g }},
    user_id,
    'calibration_kl' as metric,
    k,
    sum(term) as value
from terms
group by candidate{{ g }}, user_id, k
{%- endmacro %}
