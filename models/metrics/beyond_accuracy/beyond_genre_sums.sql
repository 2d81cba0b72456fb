-- per candidate, user, K and genre in the top K: cosine_sum and weight_sum of the items
-- with that genre (what ild, category_diversity and calibration_kl read), in one pass
{{ config(materialized='table') }}

{{ beyond_genre_sums(ref('beyond_top_rows'), ref('beyond_item_genres'), k_values()) }}
