-- the pairs the regression metrics score: per candidate, every (user_id, item_id) in
-- labels that has a prediction, with the prediction (the mean of a pair's duplicated
-- rows) and rating = the label's relevance; predictions of pairs not in labels are left out
{{ config(materialized='table') }}

with predicted as (
    select candidate, user_id, item_id, avg(prediction) as prediction, count(*) as n_rows
    from {{ ref('predictions') }}
    where prediction is not null
    group by candidate, user_id, item_id
),

labels as (
    select user_id, item_id, relevance from {{ ref('labels') }}
)

select p.candidate, p.user_id, p.item_id, p.prediction, l.relevance as rating, p.n_rows
from predicted as p
inner join labels as l on l.user_id = p.user_id and l.item_id = p.item_id
