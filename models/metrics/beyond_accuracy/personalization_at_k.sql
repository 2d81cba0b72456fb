-- personalization@K: 1 - the mean cosine similarity of all pairs of users' top-K lists,
-- exact and linear in the rows (no pair of users is joined)
{{ config(materialized='table', tags=['metric']) }}

{{ personalization_at_k(ref('beyond_item_counts'), ref('beyond_list_stats')) }}
