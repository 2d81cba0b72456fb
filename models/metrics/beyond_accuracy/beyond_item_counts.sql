-- per candidate, K and recommended item: n_rows (top-K lists holding it), n_train and
-- cosine_weight (sum of 1 / sqrt(list length) over those lists), in one pass
{{ config(materialized='table') }}

{{ beyond_item_counts(ref('beyond_top_rows'), ref('beyond_list_stats'), ref('beyond_items'), k_values()) }}
