-- fails with a row naming each input relation that holds no row at all (an empty holdout,
-- a cutoff after the last interaction, no candidate list): nothing could be evaluated
with counts as (
    select 'labels' as relation, (select count(*) from {{ ref('labels') }}) as n_rows
    union all
    select 'recs' as relation, (select count(*) from {{ ref('recs') }}) as n_rows
)

select relation, n_rows
from counts
where n_rows = 0
