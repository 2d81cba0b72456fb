-- r2 per prediction candidate over its pairs in labels (k null): coefficient of determination R² (null below 2 pairs; 1 or 0 for constant ratings, as sklearn)
{{ config(tags=['metric']) }}

{{ regression_metric(ref('regression_sums'), 'r2') }}
