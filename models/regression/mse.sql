-- mse per prediction candidate over its pairs in labels (k null): mean squared error
{{ config(tags=['metric']) }}

{{ regression_metric(ref('regression_sums'), 'mse') }}
