{#- The conventions profile (var conventions): the few choices on which evaluation libraries
    disagree, so that a team can reproduce the numbers of the library it comes from before
    it reads evalhouse's own. Metric names and formulas stay the same; a profile only picks,
    choice by choice, among the rules below. docs/metrics.md ("Conventions") has the table
    and where each library's rule was read.

    users        which users a ranking metric's mean runs over
                 relevant: labelled users with a relevant item (a user without a list
                   scores 0); count_users_without_relevant adds the others as 0
                 labelled: every labelled user, with or without a relevant item or a list
                   (each scores 0 where it has nothing); ranx, whose evaluate() with
                   make_comparable=True gives a query of the qrels without a run an empty
                   one, and a query without a judgment at or above rel_lvl scores 0
                 labelled_with_list: every labelled user that has a list from this candidate;
                   trec_eval without -c, which evaluates the queries in both the run and the
                   qrels (a query without a relevant judgment scores 0 and still counts)
    tie_item_order  the item_id order that breaks a tie in score (after score descending)
                 native: item_id descending in its own type (10 before 9)
                 text: item_id descending as text ("9" before "10"), as trec_eval compares
                   docnos (its run sort: score descending, then docno descending by strcmp)
    positions    what a rank is
                 ranks: the rank as given; a duplicated row's copy leaves its rank empty
                 renumbered: the position 1..n in the list once duplicates are dropped, as
                   a library that takes a {user: {item: score}} mapping sees a list
    ndcg_gain    which labels gain in ndcg and ndcg_exp (and fill the ideal list)
                 relevant: the relevant labels only (relevance >= rel_threshold)
                 judged: every label with a relevance above 0, whatever rel_threshold;
                   trec_eval's ndcg_cut reads the gain of every judged document and ignores
                   its relevance level (-l)
    rbp_gain     what a hit adds to rbp
                 binary: p^(rank - 1), whatever its relevance
                 graded: its relevance x p^(rank - 1), as ranx's rank_biased_precision
                   weighs each retrieved judgment -#}

{#- returns the profile's name (var conventions, default evalhouse), or with `choice` the
    profile's rule for that choice (users, tie_item_order, positions, ndcg_gain, rbp_gain); a build
    error names the key and the profiles there are -#}
{% macro conventions(choice=none) -%}
{%- set profiles = {
    'evalhouse': {'users': 'relevant', 'tie_item_order': 'native', 'positions': 'ranks', 'ndcg_gain': 'relevant',
                  'rbp_gain': 'binary'},
    'ranx': {'users': 'labelled', 'tie_item_order': 'native', 'positions': 'renumbered', 'ndcg_gain': 'relevant',
             'rbp_gain': 'graded'},
    'trec_eval': {'users': 'labelled_with_list', 'tie_item_order': 'text', 'positions': 'renumbered',
                  'ndcg_gain': 'judged', 'rbp_gain': 'binary'},
} -%}
{%- set value = var('conventions', 'evalhouse') -%}
{%- if value is not string or value not in profiles -%}
{{ raise_error("vars.conventions must be one of " ~ (profiles.keys() | sort | join(', ')) ~ ", got " ~ value, hint="set vars: conventions in project.yml (evalhouse: evalhouse's own rules), or pass --vars '{conventions: trec_eval}'; docs/metrics.md#conventions compares them") }}
{%- endif -%}
{{ profiles[value][choice] if choice else value }}
{%- endmacro %}

{#- returns the profile's rule for one choice -#}
{% macro convention(choice) -%}
{{ conventions(choice) }}
{%- endmacro %}

{#- returns the item_id expression the tie order sorts by (descending) -#}
{% macro tie_item_key(item_id) -%}
{%- if convention('tie_item_order') == 'text' -%}
cast({{ item_id }} as varchar)
{%- else -%}
{{ item_id }}
{%- endif -%}
{%- endmacro %}

{#- returns the (candidate, user_id) pairs a ranking metric scores under the profile's users
    rule, as a parenthesized query -#}
{% macro scored_users() -%}
{%- set rule = convention('users') -%}
(
    {%- if rule == 'labelled_with_list' %}
    select l.candidate, l.user_id
    from {{ ref('recs_lists') }} as l
    semi join {{ ref('label_users') }} as u on u.user_id = l.user_id
    {%- else %}
    select e.candidate, u.user_id
    from {{ ref('label_users') }} as u
    cross join {{ ref('evaluated_candidates') }} as e
    {%- if rule == 'relevant' %}
    where u.n_relevant > 0
    {%- endif %}
    {%- endif %}
)
{%- endmacro %}
