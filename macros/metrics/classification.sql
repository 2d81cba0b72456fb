{#- The classification metrics of docs/METRICS.md (scikit-learn's definitions), computed
    from a "curve" relation: one row per group and distinct score, with the counts
    cumulated from the highest score down. Every metric is then a pass over distinct
    scores, not over rows, and never compares rows pairwise. `group_by` adds grouping
    columns to the candidate (the slice columns in metrics_by_slice). Each macro returns a
    complete query. -#}

{#- returns the comma-separated grouping columns: candidate first, then group_by -#}
{% macro _classification_keys(group_by, candidate='candidate') -%}
{{ ([candidate] + (group_by or [])) | join(', ') }}
{%- endmacro %}

{#- returns the rows (keys..., score, n, n_pos, n_neg, tp, fp, position, n_points, pos,
    neg, n_users): for each group and distinct score, from the highest score down, how many
    rows have that score (n, n_pos positive, n_neg negative), how many have it or a higher
    one (tp positive, fp negative; "predicted positive at threshold score"), its position
    (1 = highest score) among the group's n_points distinct scores, the group's totals
    (pos, neg) and its distinct users. Rows without a score are left out. `label` is a
    boolean column or expression (true = positive). `users`, when given, is a relation
    (keys..., n_users) that saves counting the distinct users of every group. -#}
{% macro classification_curve(relation, group_by=[], candidate='candidate', user='user_id', score='score', label='is_relevant', users=none) -%}
{%- set keys = _classification_keys(group_by, candidate) %}
with scored_rows as (
    select
        {{ keys }},
        {{ user }} as user_id,
        cast({{ score }} as double) as score,
        case when {{ label }} then 1 else 0 end as positive
    from {{ relation }}
    where {{ score }} is not null
),

score_groups as (
    select {{ keys }}, score, count(*) as n, sum(positive) as n_pos
    from scored_rows
    group by {{ keys }}, score
),

group_users as (
    {%- if users %}
    select {{ keys }}, n_users from {{ users }}
    {%- else %}
    select {{ keys }}, count(distinct user_id) as n_users
    from scored_rows
    group by {{ keys }}
    {%- endif %}
),

cumulated as (
    select
        {{ keys }},
        score,
        n,
        n_pos,
        n - n_pos as n_neg,
        sum(n_pos) over from_the_top as tp,
        sum(n - n_pos) over from_the_top as fp,
        row_number() over from_the_top as position,
        count(*) over whole_group as n_points,
        sum(n_pos) over whole_group as pos,
        sum(n - n_pos) over whole_group as neg
    from score_groups
    window
        from_the_top as (partition by {{ keys }} order by score desc rows between unbounded preceding and current row),
        whole_group as (partition by {{ keys }})
)

select c.*, u.n_users
from cumulated as c
inner join group_users as u using ({{ keys }})
{%- endmacro %}

{#- returns (keys..., metric, k, value, n_users) rows of one metric per group: `value_sql`
    is an aggregate over the curve rows of the group -#}
{% macro _curve_metric(curve, group_by, name, value_sql) -%}
{%- set keys = _classification_keys(group_by) %}
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
{%- set keys = _classification_keys(group_by) %}
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

{#- returns a probability clipped to [1e-15, 1 - 1e-15] -#}
{% macro clipped_probability(expression) -%}
least(greatest(cast({{ expression }} as double), 1e-15), 1 - 1e-15)
{%- endmacro %}

{#- returns the log loss per group: the mean of -(y ln p + (1 - y) ln(1 - p)) over rows,
    p = the score clipped to [1e-15, 1 - 1e-15] -#}
{% macro log_loss(curve, group_by=[]) -%}
{{ _curve_metric(curve, group_by, 'log_loss',
    '-sum(n_pos * ln(' ~ clipped_probability('score') ~ ') + n_neg * ln(1 - ' ~ clipped_probability('score') ~ ')) / sum(n)') }}
{%- endmacro %}

{#- returns (keys..., threshold, tp, fp, tn, fn, n_users) per group: a row is predicted
    positive when its score >= threshold -#}
{% macro confusion_counts(curve, threshold, group_by=[]) -%}
{%- set keys = _classification_keys(group_by) %}
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
{%- set keys = _classification_keys(group_by) %}
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

{#- returns (keys..., fpr, tpr, threshold) of the ROC curve per group, the points of
    sklearn's roc_curve (drop_intermediate=True): one per distinct score from the top,
    less the points where neither fp nor tp bends (both second differences 0), after the
    point (0, 0) whose threshold is null (sklearn: inf). Groups without both classes have
    no curve. With more than max_points points, every ceil(points / max_points)-th is
    kept, and the last. -#}
{% macro roc_curve_points(curve, group_by=[], max_points=none) -%}
{%- set keys = _classification_keys(group_by) %}
with bends as (
    select
        {{ keys }},
        score,
        tp,
        fp,
        pos,
        neg,
        position,
        n_points,
        lag(fp) over by_score - 2 * fp + lead(fp) over by_score as fp_bend,
        lag(tp) over by_score - 2 * tp + lead(tp) over by_score as tp_bend
    from {{ curve }}
    where pos > 0 and neg > 0
    window by_score as (partition by {{ keys }} order by position)
),

kept as (
    select {{ keys }}, score as threshold, tp, fp, pos, neg, row_number() over (partition by {{ keys }} order by position) as point
    from bends
    where position = 1 or position = n_points or fp_bend <> 0 or tp_bend <> 0
),

with_origin as (
    select distinct {{ keys }}, cast(null as double) as threshold, 0 as tp, 0 as fp, pos, neg, 0 as point
    from kept
    union all
    select {{ keys }}, threshold, tp, fp, pos, neg, point
    from kept
)

select {{ keys }}, cast(fp as double) / neg as fpr, cast(tp as double) / pos as tpr, threshold
from {{ _thinned('with_origin', keys, max_points) }}
{%- endmacro %}

{#- returns (keys..., recall, precision, threshold) of the precision-recall curve per
    group, the points of sklearn's precision_recall_curve: one per distinct score, then
    the point (recall 0, precision 1) whose threshold is null. Groups without a positive
    have no curve. Thinned like roc_curve_points. -#}
{% macro pr_curve_points(curve, group_by=[], max_points=none) -%}
{%- set keys = _classification_keys(group_by) %}
with points as (
    select {{ keys }}, score as threshold, tp, fp, pos, position as point
    from {{ curve }}
    where pos > 0
    union all
    select distinct {{ keys }}, cast(null as double) as threshold, 0 as tp, 0 as fp, pos, 0 as point
    from {{ curve }}
    where pos > 0
)

select
    {{ keys }},
    cast(tp as double) / pos as recall,
    case when point = 0 then 1.0 else cast(tp as double) / (tp + fp) end as precision,
    threshold
from {{ _thinned('points', keys, max_points) }}
{%- endmacro %}

{#- returns the rows of `points` (numbered by `point` from 0) at most max_points + 1 of
    them per group: every step-th point and the last, step = ceil(points / max_points) -#}
{% macro _thinned(points, keys, max_points) -%}
{%- if max_points is none or (max_points | string | trim) == '' -%}
{{ points }}
{%- else -%}
(
    select *
    from (
        select p.*, max(point) over (partition by {{ keys }}) as last_point
        from {{ points }} as p
    ) as numbered
    where point = last_point
        or point % cast(ceil((last_point + 1) / {{ max_points }}) as bigint) = 0
)
{%- endif -%}
{%- endmacro %}

{#- returns (keys..., user_id, n_pos, n_neg, auc) per group and user with both classes:
    the user's ROC-AUC over their own rows (ties count one half), from the Mann-Whitney U
    of the user's positive and negative scores (the pairs of one user's list are compared
    directly: at most max(k_values)^2 / 4 per user, no sort, no join) -#}
{% macro user_auc(relation, group_by=[], candidate='candidate', user='user_id', score='score', label='is_relevant') -%}
{%- set keys = _classification_keys(group_by, candidate) %}
with user_scores as (
    select
        {{ keys }},
        {{ user }} as user_id,
        {{ list_where('cast(' ~ score ~ ' as double)', label) }} as positives,
        {{ list_where('cast(' ~ score ~ ' as double)', 'not (' ~ label ~ ')') }} as negatives
    from {{ relation }}
    where {{ score }} is not null
    group by {{ keys }}, {{ user }}
),

both_classes as (
    select {{ keys }}, user_id, positives, negatives, array_length(positives) as n_pos, array_length(negatives) as n_neg
    from user_scores
    where array_length(positives) > 0 and array_length(negatives) > 0
)

select
    {{ keys }},
    user_id,
    n_pos,
    n_neg,
    {{ twice_mann_whitney_u('positives', 'negatives') }} / (2.0 * n_pos * n_neg) as auc
from both_classes
{%- endmacro %}

{#- returns GAUC per group from user_auc rows: the users' AUCs weighted by their
    positives; n_users = the users with both classes -#}
{% macro gauc(user_aucs, group_by=[]) -%}
{%- set keys = _classification_keys(group_by) %}
select
    {{ keys }},
    'gauc' as metric,
    cast(null as integer) as k,
    sum(n_pos * auc) / sum(n_pos) as value,
    count(*) as n_users
from {{ user_aucs }}
group by {{ keys }}
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

{#- returns the threshold of the *_at_threshold metrics (var classification_threshold,
    default 0.5): a score >= it is predicted positive -#}
{% macro classification_threshold() -%}
{%- set value = var('classification_threshold', 0.5) -%}
{%- if value is not number or value is boolean -%}
{{ raise_error("var classification_threshold must be a number such as 0.5, got " ~ value) }}
{%- endif -%}
{{ value }}
{%- endmacro %}

{#- returns the most points a curve table keeps per candidate (var curve_max_points,
    default 1000), or '' (every point) when the var is null -#}
{% macro curve_max_points() -%}
{%- if var('curve_max_points', 1000) is not none -%}
{{ positive_integer_var('curve_max_points', 1000) }}
{%- endif -%}
{%- endmacro %}
