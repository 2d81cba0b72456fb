-- the per-user beyond-accuracy metrics (candidate, user_id, metric, k, value): ild,
-- category_diversity, avg_popularity, seen_rate, calibration_kl, novelty,
-- inverse_user_frequency (higher is more novel), tail_share (higher: more of the long
-- tail) and serendipity (higher: more relevant items others would not get), for the
-- users in labels with a top-K list (genre metrics: with items that have genres)
{{ config(materialized='table', tags=['per_user']) }}

{%- set stats = ref('beyond_list_stats') %}
{%- set genres = ref('beyond_genre_sums') %}
{%- set parts = [
    avg_popularity_at_k(stats),
    seen_rate_at_k(stats),
    user_novelty_at_k(stats),
    category_diversity_at_k(genres),
    ild_at_k(genres, list_stats=stats),
    calibration_kl_at_k(genres, ref('beyond_user_genres')),
    inverse_user_frequency_at_k(stats),
    tail_share_at_k(stats),
    serendipity_at_k(stats),
] %}

{% for part in parts %}
select candidate, user_id, metric, cast(k as integer) as k, cast(value as double) as value
from (
{{ part }}
) as part_{{ loop.index }}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
