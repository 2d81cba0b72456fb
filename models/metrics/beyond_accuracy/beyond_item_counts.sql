-- per candidate, K and recommended item: n_rows (top-K lists holding it), n_train and
-- cosine_weight (sum of 1 / sqrt(list length) over those lists), in one pass
{{ config(materialized='table') }}

{%- set rows = '(select r.candidate, r.user_id, r.item_id, r.rank, i.n_train from ' ~ ref('beyond_top_rows')
    ~ ' as r inner join ' ~ ref('beyond_items') ~ ' as i on i.item_id = r.item_id)' %}

{{ beyond_item_counts(rows, ref('beyond_list_stats'), k_values()) }}
