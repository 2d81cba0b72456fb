-- user_coverage@K: users in labels with at least one item in the top K / users in labels
{{ config(materialized='table', tags=['metric']) }}

{{ user_coverage_at_k(
    ref('beyond_list_stats'),
    '(select distinct user_id from ' ~ ref('labels') ~ ')',
    ref('evaluated_candidates'),
    k_values()
) }}
