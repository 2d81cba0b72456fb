-- mape per prediction candidate over its pairs in labels (k null): mean absolute percentage error as a fraction (|rating| floored at machine epsilon, as sklearn)
{{ config(tags=['metric']) }}

{{ regression_metric(ref('regression_sums'), 'mape') }}
