-- mape_zero_actual_pairs per prediction candidate (k null): the number of its pairs in
-- labels that mape leaves out because their rating is 0 (value; n_users = the users with a
-- pair), reported beside mape
{{ config(tags=['metric']) }}

{{ regression_metric(ref('regression_sums'), 'mape_zero_actual_pairs') }}
