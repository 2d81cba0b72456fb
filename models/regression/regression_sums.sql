-- per prediction candidate: n_pairs, n_users, n_pairs_zero_actual (the pairs with a zero
-- rating, which mape leaves out), n_users_nonzero_actual (mape's users) and the error sums
-- every regression metric is one expression of (macros/metrics/regression.sql)
{{ config(materialized='table') }}

{{ regression_sums(ref('regression_pairs')) }}
