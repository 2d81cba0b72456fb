-- average_precision per candidate (sklearn's step-wise definition); 0 without a positive
{{ config(tags=['metric']) }}

{{ average_precision(ref('classification_curve')) }}
