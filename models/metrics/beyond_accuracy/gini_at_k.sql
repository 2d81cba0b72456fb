-- gini@K: Gini index of the items' top-K counts over the train catalog plus the items
-- recommended outside it (0 = every item equally often, towards 1 = a few items only)
{{ config(materialized='table', tags=['metric']) }}

{{ gini_at_k(ref('beyond_item_counts'), ref('beyond_list_stats'), ref('train')) }}
