-- per candidate, K and recommended item: n_rows (top-K lists holding it), n_train and
-- cosine_weight (sum of 1 / sqrt(list length) over those lists), in one pass
{{ config(materialized='table') }}

{{ beyond_item_counts(beyond_item_count_rows(), ref('beyond_list_stats'), k_values()) }}
