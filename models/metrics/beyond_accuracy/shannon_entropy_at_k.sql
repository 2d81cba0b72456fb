-- shannon_entropy@K (RecBole's ShannonEntropy; higher = recommendations spread over more
-- items): -sum p_i ln(p_i) over the items of the top-K rows, p_i = the item's share of
-- those rows, divided by the number of distinct items recommended
{{ config(materialized='table', tags=['metric']) }}

{{ shannon_entropy_at_k(ref('beyond_item_counts'), ref('beyond_list_stats')) }}
