-- rmse per prediction candidate over its pairs in labels (k null): root mean squared error
{{ config(tags=['metric']) }}

{{ regression_metric(ref('regression_sums'), 'rmse') }}
