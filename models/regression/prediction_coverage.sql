-- prediction_coverage per prediction candidate: the share of the labels (user, item)
-- pairs it predicts; the other regression metrics run over those pairs only
{{ config(tags=['metric']) }}

with n_labels as (
    select count(*) as n_labels from {{ ref('labels') }}
)

select
    s.candidate,
    'prediction_coverage' as metric,
    cast(null as integer) as k,
    cast(s.n_pairs as double) / l.n_labels as value,
    s.n_users
from {{ ref('regression_sums') }} as s
cross join n_labels as l
