-- per candidate the points of the precision-recall curve (candidate, recall, precision,
-- threshold), as sklearn's precision_recall_curve: one per distinct score, and (0, 1) with
-- a null threshold; at most var curve_max_points (+ 1) points
{{ config(materialized='table') }}

{{ pr_curve_points(ref('classification_curve'), max_points=curve_max_points()) }}
