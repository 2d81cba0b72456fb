-- per candidate: the confusion matrix at var classification_threshold (a row with
-- score >= threshold is predicted positive): candidate, tp, fp, tn, fn, threshold, n_users
{{ config(materialized='table') }}

with counts as (
    {{ confusion_counts(ref('classification_curve'), classification_threshold()) | indent(4) }}
)

select candidate, tp, fp, tn, fn, threshold, n_users
from counts
