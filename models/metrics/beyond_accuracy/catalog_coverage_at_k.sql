-- catalog_coverage@K: distinct items in the top-K lists / distinct items in train; every
-- candidate gets a row (0 when it lists nothing for a user in labels)
{{ config(materialized='table', tags=['metric']) }}

{{ catalog_coverage_at_k(ref('beyond_item_counts'), ref('beyond_list_stats'), ref('train'),
    ref('evaluated_candidates'), k_values()) }}
