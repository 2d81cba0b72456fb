{#- The threshold-free classification metrics, one aggregate over the curve rows of each
    group (curve.sql): ROC-AUC, average precision, PR-AUC and log loss, with the
    candidates whose scores are probabilities (the only ones log loss is computed for). -#}

{#- returns (keys..., metric, k, value, n_users) rows of one metric per group: `value_sql`
    is an aggregate over the curve rows of the group -#}
{% macro _curve_metric(curve, group_by, name, value_sql) -%}
{%- set keys = classification_keys(group_by) %}
select
    {{ keys }},
    {{ sql_string(name) }} as metric,
    cast(null as integer) as k,
    {{ value_sql }} as value,
    max(n_users) as n_users
from {{ curve }}
group by {{ keys }}
{%- endmacro %}

{#- returns ROC-AUC per group (Mann-Whitney): the share of (positive, negative) pairs in
    which the positive scores higher, a tie counting one half; null without both classes.
    Negatives strictly below a score = neg - fp. Integer sums until the division. -#}
{% macro roc_auc(curve, group_by=[]) -%}
{{ _curve_metric(curve, group_by, 'roc_auc',
    'case when max(pos) > 0 and max(neg) > 0 then sum(n_pos * (2 * (neg - fp) + n_neg)) / (2.0 * max(pos) * max(neg)) end') }}
{%- endmacro %}

{#- returns average precision per group, sklearn's step-wise sum: over distinct scores
    from the top, (recall gained at the score) x (precision at the score); 0 without a
    positive (as sklearn) -#}
{% macro average_precision(curve, group_by=[]) -%}
{{ _curve_metric(curve, group_by, 'average_precision',
    'case when max(pos) > 0 then sum(cast(n_pos as double) / nullif(pos, 0) * tp / (tp + fp)) else 0.0 end') }}
{%- endmacro %}

{#- returns the trapezoid area under the precision-recall curve per group, as sklearn's
    auc(recall, precision) over precision_recall_curve: from the point (recall 0,
    precision 1) through one point per distinct score; null without a positive -#}
{% macro pr_auc(curve, group_by=[]) -%}
{%- set keys = classification_keys(group_by) %}
with points as (
    select
        {{ keys }},
        n_users,
        pos,
        cast(tp as double) / nullif(pos, 0) as recall,
        cast(tp as double) / (tp + fp) as precision,
        position
    from {{ curve }}
),

steps as (
    select
        {{ keys }},
        n_users,
        pos,
        recall - lag(recall, 1, 0.0) over by_score as width,
        (precision + lag(precision, 1, 1.0) over by_score) / 2 as height
    from points
    window by_score as (partition by {{ keys }} order by position)
)

{{ _curve_metric('steps', group_by, 'pr_auc', 'case when max(pos) > 0 then sum(width * height) end') }}
{%- endmacro %}

{#- returns a probability clipped to [1e-15, 1 - 1e-15] (`eps` another bound) -#}
{% macro clipped_probability(expression, eps='1e-15') -%}
least(greatest(cast({{ expression }} as double), {{ eps }}), 1 - {{ eps }})
{%- endmacro %}

{#- returns the log loss per group: the mean of -(y ln p + (1 - y) ln(1 - p)) over rows,
    p = the score clipped to [1e-15, 1 - 1e-15]. Under the conventions rule log_loss
    sklearn, scikit-learn's: p and 1 - p each clipped to [2^-52, 1 - 2^-52] (its clip of
    the two columns [1 - p, p]), null when the group holds one class (where it raises) -#}
{% macro log_loss(curve, group_by=[]) -%}
{%- if convention('log_loss') == 'sklearn' %}
{%- set eps = '2.220446049250313e-16' %}
{{ _curve_metric(curve, group_by, 'log_loss',
    'case when max(pos) > 0 and max(neg) > 0 then -sum(n_pos * ln(' ~ clipped_probability('score', eps)
    ~ ') + n_neg * ln(' ~ clipped_probability('1 - cast(score as double)', eps) ~ ')) / sum(n) end') }}
{%- else -%}
{{ _curve_metric(curve, group_by, 'log_loss',
    '-sum(n_pos * ln(' ~ clipped_probability('score') ~ ') + n_neg * ln(1 - ' ~ clipped_probability('score') ~ ')) / sum(n)') }}
{%- endif %}
{%- endmacro %}

{#- returns the names of the candidates declared `probabilities: true` under
    evaluation.candidates, as a SQL list of strings (empty: the literal null) -#}
{% macro probability_candidates() -%}
{%- set found = namespace(names=[]) %}
{%- for name, spec in (evaluation.candidates or {}).items() %}
{%- if spec.probabilities %}{% set found.names = found.names + [sql_string(name)] %}{% endif %}
{%- endfor %}
{{- found.names | join(', ') if found.names else 'null' }}
{%- endmacro %}
