-- user_coverage@K: users in labels with at least one item in the top K / users in labels
{{ config(materialized='table', tags=['metric']) }}
{#- the conventions rule coverage_users relevant (RecTools' CoveredUsers): only the users
    in labels with a relevant label count -#}
{%- if convention('coverage_users') == 'relevant' %}
{%- set users = '(select user_id from ' ~ ref('label_users') ~ ' where n_relevant > 0)' %}
{%- else %}
{%- set users = '(select distinct user_id from ' ~ ref('labels') ~ ')' %}
{%- endif %}

{{ user_coverage_at_k(
    ref('beyond_list_stats'),
    users,
    ref('evaluated_candidates'),
    k_values()
) }}
