-- log_loss per candidate declared `probabilities: true` under evaluation.candidates (the
-- other candidates' scores are not probabilities); scores clipped to [1e-15, 1 - 1e-15]
{{ config(tags=['metric']) }}

with probability_scores as (
    select *
    from {{ ref('classification_curve') }}
    where candidate in ({{ probability_candidates() }})
)

{{ log_loss('probability_scores') }}
