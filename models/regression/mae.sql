-- mae per prediction candidate over its pairs in labels (k null): mean absolute error
{{ config(tags=['metric']) }}

{{ regression_metric(ref('regression_sums'), 'mae') }}
