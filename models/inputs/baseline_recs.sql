-- the lists of the built-in baselines that evaluation.baselines turns on (all four by
-- default): every model tagged 'baseline', as candidate, user_id, item_id, rank, score;
-- 'bias' is a known name too: the rating baseline (models/regression/bias_baseline.sql).
-- A table: recs_lists, recs_ties and recs each read it, and a baseline's list is a window
-- over users x items less what they saw (as a view it was computed three times)
{{ config(materialized='table') }}
{%- set known = builtin_baselines().split(',') + ['bias'] %}
{%- for name in evaluation.baselines or [] %}
{%- if name not in known %}
{{ raise_error("evaluation.baselines: unknown baseline '" ~ name ~ "'; the built-in ones are " ~ known | join(', ')) }}
{%- endif %}
{%- endfor %}
{%- set baselines = models_tagged('baseline') %}
{%- if baselines %}

{% for model in baselines %}
select candidate, user_id, item_id, cast(rank as double) as rank, cast(score as double) as score
from {{ ref(model) }}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{%- else %}

-- no baseline is on: an empty relation of the same shape
{{ empty_relation({'candidate': candidate_type(), 'user_id': none, 'item_id': none, 'rank': 'double', 'score': 'double'}) }}
{%- endif %}
