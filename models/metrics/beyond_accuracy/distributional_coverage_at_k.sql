-- distributional_coverage@K: entropy (log2) of how the top-K rows spread over items
{{ config(materialized='table', tags=['metric']) }}

{{ distributional_coverage_at_k(ref('beyond_item_counts'), ref('beyond_list_stats')) }}
