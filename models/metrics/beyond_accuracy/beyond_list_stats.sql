-- per candidate, user (in labels) and K with a non-empty top K: n_items, popularity_sum,
-- seen_count, novelty_sum, iuf_sum, tail_count and serendipity_sum over the top K, in one
-- pass over beyond_recs (every per-list sum of the beyond-accuracy metrics)
{{ config(materialized='table') }}

{{ beyond_list_stats(ref('beyond_recs'), ref('train'), ref('beyond_items'), k_values(),
                     relevant='r.is_relevant') }}
