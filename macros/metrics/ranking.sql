{#- The ranking metrics of docs/metrics.md, one macro each: per-user values at cut-off K
    from the columns of user_ranking_stats (or any relation with the same meaning). Every
    argument is a column name or SQL expression. -#}

{#- returns hits in the top K / K: short lists count as padded with misses -#}
{% macro precision_at_k(n_hits, k) -%}
(cast({{ n_hits }} as double) / {{ k }})
{%- endmacro %}

{#- returns hits in the top K / number of relevant items -#}
{% macro recall_at_k(n_hits, n_relevant) -%}
(cast({{ n_hits }} as double) / {{ n_relevant }})
{%- endmacro %}

{#- returns hits in the top K / min(K, number of relevant items) -#}
{% macro recall_capped_at_k(n_hits, n_relevant, k) -%}
(cast({{ n_hits }} as double) / least({{ k }}, {{ n_relevant }}))
{%- endmacro %}

{#- returns the F-beta of precision@K and recall@K, 0 when both are 0 -#}
{% macro f_beta_at_k(n_hits, n_relevant, k, beta) -%}
{%- set precision = precision_at_k(n_hits, k) -%}
{%- set recall = recall_at_k(n_hits, n_relevant) -%}
{%- set beta_squared = '(' ~ beta ~ ' * ' ~ beta ~ ')' -%}
case
    when {{ beta_squared }} * {{ precision }} + {{ recall }} > 0
    then (1 + {{ beta_squared }}) * {{ precision }} * {{ recall }} / ({{ beta_squared }} * {{ precision }} + {{ recall }})
    else 0.0
end
{%- endmacro %}

{#- returns 1 when the top K holds a hit, else 0 -#}
{% macro hit_rate_at_k(n_hits) -%}
case when {{ n_hits }} > 0 then 1.0 else 0.0 end
{%- endmacro %}

{#- returns 1 / rank of the first hit within K (null when none), else 0 -#}
{% macro mrr_at_k(first_hit_rank) -%}
coalesce(1.0 / {{ first_hit_rank }}, 0.0)
{%- endmacro %}

{#- returns the sum over hits at rank i <= K of precision@i, / number of relevant items -#}
{% macro map_at_k(precision_sum, n_relevant) -%}
({{ precision_sum }} / {{ n_relevant }})
{%- endmacro %}

{#- returns the sum over hits at rank i <= K of precision@i, / min(K, number of relevant items) -#}
{% macro map_capped_at_k(precision_sum, n_relevant, k) -%}
({{ precision_sum }} / least({{ k }}, {{ n_relevant }}))
{%- endmacro %}

{#- returns DCG / ideal DCG at K, 0 when the ideal DCG is 0 -#}
{% macro ndcg_at_k(dcg, ideal_dcg) -%}
case when {{ ideal_dcg }} > 0 then {{ dcg }} / {{ ideal_dcg }} else 0.0 end
{%- endmacro %}

{#- returns the linear gain of a relevant item (its relevance) -#}
{% macro linear_gain(relevance) -%}
{{ relevance }}
{%- endmacro %}

{#- returns the exponential gain 2^relevance - 1 -#}
{% macro exponential_gain(relevance) -%}
(power(2.0, {{ relevance }}) - 1)
{%- endmacro %}

{#- returns the discount of a position: 1 / log2(rank + 1) -#}
{% macro rank_discount(rank) -%}
(1.0 / log2({{ rank }} + 1))
{%- endmacro %}

{#- returns hits within the top R / R, R = number of relevant items (r_precision) -#}
{% macro r_precision(n_hits_within_r, n_relevant) -%}
(cast({{ n_hits_within_r }} as double) / {{ n_relevant }})
{%- endmacro %}

{#- returns rank-biased precision: (1 - p) * the sum over hits at rank i <= K of p^(i - 1) -#}
{% macro rbp_at_k(rbp_sum, persistence) -%}
((1.0 - {{ persistence }}) * {{ rbp_sum }})
{%- endmacro %}

{#- returns the bpref term of one relevant retrieved item (trec_eval's): 1 without a judged
    non-relevant item above it, else 1 - min(n above, R) / min(R, judged non-relevant items) -#}
{% macro bpref_term(nonrelevant_above, n_relevant, n_nonrelevant) -%}
case
    when {{ nonrelevant_above }} = 0 then 1.0
    else 1.0 - cast(least({{ nonrelevant_above }}, {{ n_relevant }}) as double) / least({{ n_relevant }}, {{ n_nonrelevant }})
end
{%- endmacro %}

{#- returns the from/join block of a whole-list ranking metric (no K: r_precision, bpref)
    that reads its per-user sums from `per_user` (candidate, user_id, ...) under the
    alias `alias`: one row per (candidate, user) that var conventions scores, with the
    user's row of label_users as `u` and the candidate as `e`; a user without a row in
    `per_user` has nulls there (no hit). evalhouse's own rule scores the users with a
    relevant label; the other profiles theirs (macros/conventions.sql, scored_users). -#}
{% macro scored_user_rows(per_user, alias) -%}
{%- if convention('users') == 'relevant' %}
from {{ ref('label_users') }} as u
cross join {{ ref('evaluated_candidates') }} as e
left join {{ per_user }} as {{ alias }} on {{ alias }}.candidate = e.candidate and {{ alias }}.user_id = u.user_id
where u.n_relevant > 0
{%- else %}
-- the users var conventions scores (macros/conventions.sql); 0 / 0 for a user without a
-- relevant label is 0 in user_metrics
from {{ scored_users() }} as e
inner join {{ ref('label_users') }} as u on u.user_id = e.user_id
left join {{ per_user }} as {{ alias }} on {{ alias }}.candidate = e.candidate and {{ alias }}.user_id = u.user_id
{%- endif %}
{%- endmacro %}
