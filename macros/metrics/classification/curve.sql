{#- The classification metrics of docs/metrics.md (scikit-learn's definitions), computed
    from a "curve" relation: one row per group and distinct score, with the counts
    cumulated from the highest score down. Every metric is then a pass over distinct
    scores, not over rows, and never compares rows pairwise. `group_by` adds grouping
    columns to the candidate (the slice columns in metrics_by_slice). Each macro returns a
    complete query.

    This file: the curve relation and the grouping keys every macro uses. The metrics are
    in the other files of this folder: scores.sql (ROC-AUC, average precision, PR-AUC, log
    loss), thresholded.sql (the confusion matrix and the *_at_threshold metrics),
    curves.sql (the ROC and PR curve points) and user_auc.sql (per-user AUC, GAUC). -#}

{#- returns the comma-separated grouping columns: candidate first, then group_by -#}
{% macro classification_keys(group_by, candidate='candidate') -%}
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
{%- set keys = classification_keys(group_by, candidate) %}
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
