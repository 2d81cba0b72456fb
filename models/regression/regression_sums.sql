-- per prediction candidate: n_pairs, n_users and the error sums every regression metric
-- is one expression of (macros/metrics/regression.sql)
{{ config(materialized='table') }}

{{ regression_sums(ref('regression_pairs')) }}
