-- the per-user beyond-accuracy metrics averaged over the users that have a value
-- (candidate, metric, k, value, n_users); novelty is not here: novelty_at_k averages rows
{{ config(materialized='table', tags=['metric']) }}

select candidate, metric, k, avg(value) as value, count(*) as n_users
from {{ ref('user_beyond_metrics') }}
where metric <> 'novelty'
group by candidate, metric, k
