-- the rows the classification metrics score: every recommended item (rank <= max(k_values))
-- that has a score, of a user in labels, with is_relevant (the item is a relevant label)
-- as the class. The rows of recs_with_target with is_recommended, read the short way: a
-- view over beyond_top_rows, which holds these rows and their join with the relevant
-- labels already (a second row-level copy would cost a write of every list).
{{ config(materialized='view') }}

{#- under the conventions rule classified_rows labelled (Microsoft Recommenders' auc and
    logloss) only the rows with a label of any relevance are scored #}
{%- if convention('classified_rows') == 'labelled' %}

select r.candidate, r.user_id, r.score, r.is_relevant
from {{ ref('beyond_top_rows') }} as r
semi join {{ ref('labels') }} as l on l.user_id = r.user_id and l.item_id = r.item_id
where r.score is not null
{%- else %}

select candidate, user_id, score, is_relevant
from {{ ref('beyond_top_rows') }}
where score is not null
{%- endif %}
