-- fails for each candidate file in which no user of the labels has a list: every metric
-- of it would be 0. Usually the file is keyed by other user ids than the labels (another
-- id space, an offset, a hash); the row shows up to 3 ids from each side.
select
    candidate,
    n_label_users,
    label_users_without_list,
    users_not_in_labels,
    'check that the candidate file and evaluation.labels use the same user ids' as what_to_do
from {{ ref('candidate_overlap') }}
where n_label_users > 0 and n_users_with_list = 0
