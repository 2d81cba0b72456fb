-- per candidate the points of the ROC curve (candidate, fpr, tpr, threshold), as sklearn's
-- roc_curve: (0, 0) with a null threshold, then one point per distinct score less the
-- points on a straight stretch; at most var curve_max_points (+ 1) points
{{ config(materialized='table') }}

{{ roc_curve_points(ref('classification_curve'), max_points=curve_max_points()) }}
