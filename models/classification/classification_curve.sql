-- per candidate and distinct score, from the highest down: n, n_pos, n_neg at the score,
-- tp and fp at or above it, position, and the candidate's pos, neg and n_users; every
-- classification metric and curve is computed from it
{{ config(materialized='table') }}

{{ classification_curve(ref('classification_rows')) }}
