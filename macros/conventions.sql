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
                 relevant_with_list: the users with a relevant item that have a list from
                   this candidate; Microsoft Recommenders, whose ranking metrics keep the
                   users present in both the truth and the predictions (ndcg_users may
                   widen it for ndcg)
    ndcg_users   which users ndcg and ndcg_exp average over
                 users: the users rule's
                 relevant: every user with a relevant item, one without a list scoring 0;
                   Recommenders' ndcg_at_k, which joins its hits back to the whole truth
                   frame, so a user without predictions keeps its ideal DCG and scores 0
    tie_item_order  the item_id order that breaks a tie in score (after score descending)
                 native: item_id descending in its own type (10 before 9)
                 text: item_id descending as text ("9" before "10"), as trec_eval compares
                   docnos (its run sort: score descending, then docno descending by strcmp)
    positions    what a rank is
                 ranks: the rank as given; a duplicated row's copy leaves its rank empty
                   (RecTools and Evidently take the ranks they are given)
                 renumbered: the position 1..n in the list once duplicates are dropped, as
                   a library that takes a {user: {item: score}} mapping sees a list, or
                   Recommenders, which numbers the rows it sorted by score
    ndcg_gain    which labels gain in ndcg and ndcg_exp (and fill the ideal list)
                 relevant: the relevant labels only (relevance >= rel_threshold)
                 judged: every label with a relevance above 0, whatever rel_threshold;
                   trec_eval's ndcg_cut reads the gain of every judged document and ignores
                   its relevance level (-l)
                 binary: the relevant labels, each gaining 1 whatever its relevance;
                   Recommenders (score_type binary), RecTools (its interactions have no
                   relevance) and Evidently (min_rel_score turns the target into 0 or 1)
    ndcg_ideal   the ideal DCG ndcg divides by
                 labels: the DCG of the user's best labels, up to K of them
                 k_items: the DCG of K relevant items, even for a user with fewer; RecTools'
                   NDCG (divide_by_achievable false, its default)
    precision_divisor  what precision divides the hits in the top K by
                 k: K
                 k_or_rows: min(K, the rows Evidently holds for the user), the rows being the
                   recommended items within max(k_values) and the relevant items not among
                   them (Evidently's precision divides by min(K, the user's rows), and reads
                   recall's denominator from the same rows, so they hold every relevant item)
    rbp_gain     what a hit adds to rbp
                 binary: p^(rank - 1), whatever its relevance
                 graded: its relevance x p^(rank - 1), as ranx's rank_biased_precision
                   weighs each retrieved judgment
    gini         the items gini ranks and what it divides by
                 catalog: the train catalog plus the items recommended outside it (never
                   recommended ones count 0), sum / (n x the top-K rows)
                 recommended: the items recommended in the top K only, sum / ((n - 1) x the
                   top-K rows), null for a single item; Evidently's PopularityBias (get_gini)
    popularity   what an item's popularity is in avg_popularity
                 interactions: its train interactions
                 train_users: the distinct train users who had it; Evidently's TrainStats
                   (groupby(item)[user].nunique())
    unseen_items what an item unseen in train adds to avg_popularity, inverse_user_frequency
                 and catalog_coverage
                 counted: 0 interactions to avg_popularity, one user to
                   inverse_user_frequency (RecTools), a covered item to catalog_coverage
                 dropped: left out of each (a user whose top K holds only unseen items has
                   no avg_popularity or inverse_user_frequency); Evidently, whose
                   PopularityBias and NoveltyMetric map items to their train counts and drop
                   the NaNs, and whose coverage intersects the items with train's
    personalization  how personalization compares two users' top-K lists
                 cosine: shared items / sqrt(the two lists' lengths)
                 k_overlap: (sum over items of the lists holding it squared - users x K)
                   / (K x users x (users - 1)), Evidently's PersonalizationMetric: every
                   list counted K items long, the same as cosine when every list has K
    ild          what ild divides a list's summed pairwise distances by
                 pairs: the pairs of its items with a category (1 - their mean cosine
                   similarity; a list needs two such items)
                 list_length: the list's length, over every pair of its items, an item
                   without a category at distance 1 from every other; Evidently's
                   DiversityMetric (scikit-learn's cosine distance, a zero vector's
                   similarity being 0), which scores every list
                 all_pairs: every pair of the list's items (1 - their mean cosine similarity,
                   an item without a category similar to none; a list needs two items);
                   Microsoft Recommenders' diversity with item_feature_vector, which fills
                   the similarity of a pair it has no features for with 0
    label_copies  what a (user, item) labelled on several rows counts in the ranking metrics
                 one: one label (its highest relevance), as labels keeps it
                 counted: one relevant item per row at or above rel_threshold: in the
                   relevant items (recall's and map's denominators), in the hits (precision,
                   recall, the hits up to a rank in map's precision, which adds the item's
                   term once) and in the gains (ndcg, ndcg_exp, rbp), the ideal list still
                   holding it once; RecTools, whose merge_reco joins every interaction row to
                   the list, so that its MAP sums the copies into one rank's count
    coverage_users  the users user_coverage divides by
                 labelled: every user in labels
                 relevant: the users with a relevant label; RecTools' CoveredUsers, whose
                   target users are those of the test interactions
    classified_rows  the rows the classification metrics score
                 recommended: every scored row of a top max(k_values), its class whether the
                   item is a relevant label (an unlabelled row is a negative)
                 labelled: the scored rows of a top max(k_values) that have a label (any
                   relevance), its class whether that label is relevant; Microsoft
                   Recommenders' auc and logloss, which inner-join the truth and the
                   predictions on (user, item)
    log_loss     how log_loss clips a score and whether one class is enough
                 clip_1e-15: the score clipped to [1e-15, 1 - 1e-15], a value for one class
                 sklearn: the score and 1 - score each clipped to [eps, 1 - eps], eps = 2^-52
                   (float64's), and no value when the rows hold one class; scikit-learn's
                   log_loss (which raises there), called by Recommenders' logloss -#}

{#- returns the profile's name (var conventions, default evalhouse), or with `choice` the
    profile's rule for that choice (the choices above); a build error names the key and the
    profiles there are -#}
{% macro conventions(choice=none) -%}
{%- set own = {'users': 'relevant', 'ndcg_users': 'users', 'tie_item_order': 'native', 'positions': 'ranks',
                'ndcg_gain': 'relevant', 'ndcg_ideal': 'labels', 'precision_divisor': 'k', 'rbp_gain': 'binary',
                'gini': 'catalog', 'popularity': 'interactions', 'unseen_items': 'counted',
                'personalization': 'cosine', 'ild': 'pairs', 'coverage_users': 'labelled', 'label_copies': 'one',
                'classified_rows': 'recommended',
                'log_loss': 'clip_1e-15'} -%}
{#- each profile: evalhouse's own rules, but for the choices it names -#}
{%- set differences = {
    'evalhouse': {},
    'evidently': {'ndcg_gain': 'binary', 'precision_divisor': 'k_or_rows', 'gini': 'recommended',
                  'popularity': 'train_users', 'unseen_items': 'dropped', 'personalization': 'k_overlap',
                  'ild': 'list_length'},
    'ranx': {'users': 'labelled', 'positions': 'renumbered', 'rbp_gain': 'graded'},
    'recommenders': {'users': 'relevant_with_list', 'ndcg_users': 'relevant', 'positions': 'renumbered',
                     'ndcg_gain': 'binary', 'ild': 'all_pairs', 'classified_rows': 'labelled', 'log_loss': 'sklearn'},
    'rectools': {'ndcg_gain': 'binary', 'ndcg_ideal': 'k_items', 'coverage_users': 'relevant',
                 'label_copies': 'counted'},
    'trec_eval': {'users': 'labelled_with_list', 'tie_item_order': 'text', 'positions': 'renumbered',
                  'ndcg_gain': 'judged'},
} -%}
{%- set profiles = {} -%}
{%- for name, changed in differences.items() -%}
{%- set rules = own.copy() -%}
{%- set _ = rules.update(changed) -%}
{%- set _ = profiles.update({name: rules}) -%}
{%- endfor -%}
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
    {%- if rule in ('relevant', 'relevant_with_list') %}
    -- relevant_with_list: user_metrics drops the users without a list (ndcg_users may keep them)
    where u.n_relevant > 0
    {%- endif %}
    {%- endif %}
)
{%- endmacro %}

{#- returns the relevance a relevant label gains with in ndcg and ndcg_exp (1 under the
    ndcg_gain rule binary) -#}
{% macro ndcg_relevance(relevance) -%}
{{ '1.0' if convention('ndcg_gain') == 'binary' else relevance }}
{%- endmacro %}

{#- returns a condition on a user_metrics row (alias m) that keeps it under the users rule
    relevant_with_list: the user has a list from that candidate, or the metric is an ndcg and
    ndcg_users is relevant; none under the other rules -#}
{% macro listed_user_filter(m) -%}
{%- if convention('users') == 'relevant_with_list' -%}
{%- if convention('ndcg_users') == 'relevant' %}{{ m }}.metric in ('ndcg', 'ndcg_exp') or {% endif -%}
exists (select 1 from {{ ref('recs_lists') }} as l where l.candidate = {{ m }}.candidate and l.user_id = {{ m }}.user_id)
{%- endif -%}
{%- endmacro %}
