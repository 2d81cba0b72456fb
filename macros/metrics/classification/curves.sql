{#- The points of the ROC and precision-recall curves per group, from the curve rows
    (curve.sql), thinned to at most var curve_max_points points. -#}

{#- returns (keys..., fpr, tpr, threshold) of the ROC curve per group, the points of
    sklearn's roc_curve (drop_intermediate=True): one per distinct score from the top,
    less the points where neither fp nor tp bends (both second differences 0), after the
    point (0, 0) whose threshold is null (sklearn: inf). Groups without both classes have
    no curve. With more than max_points points, every ceil(points / max_points)-th is
    kept, and the last. -#}
{% macro roc_curve_points(curve, group_by=[], max_points=none) -%}
{%- set keys = classification_keys(group_by) %}
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
{%- set keys = classification_keys(group_by) %}
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

{#- returns the most points a curve table keeps per candidate (var curve_max_points,
    default 1000), or '' (every point) when the var is null -#}
{% macro curve_max_points() -%}
{%- if var('curve_max_points', 1000) is not none -%}
{{ positive_integer_var('curve_max_points', 1000) }}
{%- endif -%}
{%- endmacro %}
