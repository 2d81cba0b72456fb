-- every per-user metric (candidate, user_id, metric, k, value): the union of the models
-- tagged user_metric (models/metrics/ranking/ tags its models so); one row per candidate,
-- user with a relevant item, metric and K (a user without a list scores 0; var conventions
-- may score other users, and under recommenders leaves out the users without a list but in
-- ndcg). A view: each metric is one expression over user_ranking_stats, cheaper to compute
-- than to store
{{ config(materialized='view', tags=['per_user']) }}
{#- columns=: compile checks that each tagged model returns them, naming the one that does not #}
{%- set metric_models = models_tagged('user_metric', columns=['candidate', 'user_id', 'metric', 'k', 'value']) %}

{#- a profile (var conventions) that scores users without a relevant label: their 0 / 0
    (recall, map, r_precision, bpref ...) is 0, as ranx and trec_eval give #}
{%- set value = 'cast(value as double)' if convention('users') == 'relevant'
    else 'case when isnan(cast(value as double)) then 0.0 else cast(value as double) end' %}
{%- set keep = listed_user_filter('m') %}
{% for model in metric_models %}
select candidate, user_id, metric, k, {{ value }} as value from {{ ref(model) }}{% if keep %} as m where {{ keep }}{% endif %}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{%- if not metric_models %}
{{ empty_relation({'candidate': 'varchar', 'user_id': none, 'metric': 'varchar', 'k': 'integer', 'value': 'double'}) }}
{%- endif %}
