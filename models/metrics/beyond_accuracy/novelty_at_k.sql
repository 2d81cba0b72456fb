-- novelty@K: the mean self-information -log2(p_i) of the top-K rows, p_i the item's share of
-- the train interactions (0 for items unseen in train)
{{ config(materialized='table', tags=['metric']) }}

{{ novelty_at_k(ref('beyond_list_stats')) }}
