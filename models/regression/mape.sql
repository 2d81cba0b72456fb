-- mape per prediction candidate over its pairs in labels (k null): mean absolute percentage
-- error as a fraction, over the pairs with a non-zero rating only (null when every rating
-- is 0; n_users = the users with a non-zero rating); the pairs left out are counted in
-- mape_zero_actual_pairs. sklearn floors |rating| at machine epsilon instead, so a zero
-- rating would give ~1e15
{{ config(tags=['metric']) }}

{{ regression_metric(ref('regression_sums'), 'mape') }}
