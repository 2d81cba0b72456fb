-- per candidate and user with both classes among their scored rows: n_pos, n_neg and the
-- user's ROC-AUC (ties count one half), which GAUC weighs by n_pos
{{ config(materialized='table') }}

{{ user_auc(ref('classification_rows')) }}
