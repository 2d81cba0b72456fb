{#- The classification metrics at a score threshold, from the curve rows (curve.sql): the
    confusion counts, accuracy, precision, recall and F1 at the threshold, and the
    threshold itself (var classification_threshold). -#}

{#- returns (keys..., threshold, tp, fp, tn, fn, n_users) per group: a row is predicted
    positive when its score >= threshold -#}
{% macro confusion_counts(curve, threshold, group_by=[]) -%}
{%- set keys = classification_keys(group_by) %}
with counts as (
    select
        {{ keys }},
        max(pos) as pos,
        max(neg) as neg,
        coalesce(sum(case when score >= {{ threshold }} then n_pos end), 0) as tp,
        coalesce(sum(case when score >= {{ threshold }} then n_neg end), 0) as fp,
        max(n_users) as n_users
    from {{ curve }}
    group by {{ keys }}
)

select
    {{ keys }},
    cast({{ threshold }} as double) as threshold,
    tp,
    fp,
    neg - fp as tn,
    pos - tp as fn,
    n_users
from counts
{%- endmacro %}

{#- returns (keys..., metric, k, value, n_users) of accuracy, precision, recall and F1 at
    the threshold, from confusion_counts rows; precision, recall and F1 are 0 when their
    denominator is 0 (sklearn's zero_division default) -#}
{% macro threshold_metrics(confusion, group_by=[]) -%}
{%- set keys = classification_keys(group_by) %}
{%- set metrics = {
    'accuracy_at_threshold': 'cast(tp + tn as double) / (tp + fp + tn + fn)',
    'precision_at_threshold': 'case when tp + fp > 0 then cast(tp as double) / (tp + fp) else 0.0 end',
    'recall_at_threshold': 'case when tp + fn > 0 then cast(tp as double) / (tp + fn) else 0.0 end',
    'f1_at_threshold': 'case when tp > 0 then 2.0 * tp / (2 * tp + fp + fn) else 0.0 end',
} %}
{%- for name, value in metrics.items() %}
select {{ keys }}, {{ sql_string(name) }} as metric, cast(null as integer) as k, {{ value }} as value, n_users
from {{ confusion }}
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{%- endmacro %}

{#- returns the threshold of the *_at_threshold metrics (var classification_threshold,
    default 0.5): a score >= it is predicted positive -#}
{% macro classification_threshold() -%}
{%- set value = var('classification_threshold', 0.5) -%}
{%- if finite_number(value) != 'True' -%}
{{ raise_error("vars.classification_threshold must be a finite number such as 0.5, got " ~ value, hint="set vars: classification_threshold in project.yml, or pass --vars") }}
{%- endif -%}
{{ value }}
{%- endmacro %}
