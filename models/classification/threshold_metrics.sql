-- accuracy_at_threshold, precision_at_threshold, recall_at_threshold and f1_at_threshold
-- per candidate, from the confusion matrix at var classification_threshold
{{ config(tags=['metric']) }}

{{ threshold_metrics(ref('confusion_matrix')) }}
