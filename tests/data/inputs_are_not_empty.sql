-- fails with a row naming each input relation that holds no row at all (an empty holdout,
-- a cutoff after the last interaction, no candidate list): nothing could be evaluated.
-- Looks for one row of each, not a count of every row.
select 'labels' as relation, 0 as n_rows
where not exists (select 1 from {{ ref('labels') }})
union all
select 'recs' as relation, 0 as n_rows
where not exists (select 1 from {{ ref('recs') }})
