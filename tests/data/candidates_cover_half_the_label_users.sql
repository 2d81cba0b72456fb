-- warns for each candidate file that has a list for some, but fewer than half, of the
-- label users: the others score 0 in every ranking metric of it
{{ config(severity='warn') }}

select
    candidate,
    n_label_users,
    n_users_with_list,
    round(share, 4) as share,
    label_users_without_list,
    users_not_in_labels,
    'users without a list score 0; check that the file holds a list for every user of evaluation.labels' as what_to_do
from {{ ref('candidate_overlap') }}
where n_users_with_list > 0 and share < 0.5
