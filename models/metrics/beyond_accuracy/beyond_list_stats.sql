-- per candidate, user (in labels) and K with a non-empty top K: n_items, popularity_sum,
-- seen_count and novelty_sum over the top K, in one pass over beyond_recs
{{ config(materialized='table') }}

{{ beyond_list_stats(ref('beyond_recs'), ref('train'), k_values()) }}
