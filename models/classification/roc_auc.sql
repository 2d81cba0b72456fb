-- roc_auc per candidate over its scored recommended rows (k null: the whole list); null
-- when the rows hold a single class
{{ config(tags=['metric']) }}

{{ roc_auc(ref('classification_curve')) }}
