{#- ROC-AUC per user, from the rows themselves (not the curve), and GAUC, the users' AUCs
    weighted by their positives. -#}

{#- returns (keys..., user_id, n_pos, n_neg, auc) per group and user with both classes:
    the user's ROC-AUC over their own rows (ties count one half), from the Mann-Whitney U
    of the user's positive and negative scores (the pairs of one user's list are compared
    directly: at most max(k_values)^2 / 4 per user, no sort, no join) -#}
{% macro user_auc(relation, group_by=[], candidate='candidate', user='user_id', score='score', label='is_relevant') -%}
{%- set keys = classification_keys(group_by, candidate) %}
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
{%- set keys = classification_keys(group_by) %}
select
    {{ keys }},
    'gauc' as metric,
    cast(null as integer) as k,
    sum(n_pos * auc) / sum(n_pos) as value,
    count(*) as n_users
from {{ user_aucs }}
group by {{ keys }}
{%- endmacro %}
