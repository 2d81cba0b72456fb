-- classification_curve per candidate, slice and slice_value: the classification rows of
-- the slice's users; empty when var slice_metrics leaves classification out
{{ config(materialized='table') }}

with sliced_rows as (
    select r.candidate, s.slice, s.slice_value, r.user_id, r.score, r.is_relevant
    from {{ ref('classification_rows') }} as r
    inner join {{ ref('user_slices') }} as s on s.user_id = r.user_id
    where {{ 'true' if slices_include('classification') else 'false' }}
),

slice_users as (
    select u.candidate, s.slice, s.slice_value, count(*) as n_users
    from (select distinct candidate, user_id from {{ ref('classification_rows') }}) as u
    inner join {{ ref('user_slices') }} as s on s.user_id = u.user_id
    group by u.candidate, s.slice, s.slice_value
)

select *
from ({{ classification_curve('sliced_rows', group_by=['slice', 'slice_value'], users='slice_users') | indent(4) }}
) as curve
