-- gauc per candidate: the users' own AUCs weighted by their positives; users with one
-- class are left out (n_users = users with both)
{{ config(tags=['metric']) }}

{{ gauc(ref('user_auc')) }}
