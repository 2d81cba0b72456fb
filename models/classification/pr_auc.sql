-- pr_auc per candidate: the trapezoid area under the precision-recall curve (sklearn's
-- auc(recall, precision)); null without a positive
{{ config(tags=['metric']) }}

{{ pr_auc(ref('classification_curve')) }}
