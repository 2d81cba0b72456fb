-- r_precision per user (higher is better; k null: no cut-off): hits within the top R / R,
-- R = the user's relevant items; lists are read up to max(k_values), as every ranking metric
with hits_within_r as (
    select h.candidate, h.user_id, count(*) as n_hits
    from {{ ref('hits') }} as h
    inner join {{ ref('label_users') }} as u on u.user_id = h.user_id
    where h.rank <= u.n_relevant
    group by h.candidate, h.user_id
)

select
    e.candidate,
    u.user_id,
    'r_precision' as metric,
    cast(null as integer) as k,
    {{ r_precision('coalesce(h.n_hits, 0)', 'u.n_relevant') }} as value
{{ scored_user_rows('hits_within_r', 'h') }}
