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
{%- if convention('users') == 'relevant' %}
from {{ ref('label_users') }} as u
cross join {{ ref('evaluated_candidates') }} as e
left join hits_within_r as h on h.candidate = e.candidate and h.user_id = u.user_id
where u.n_relevant > 0
{%- else %}
-- the users var conventions scores (macros/conventions.sql); 0 / 0 for a user without a
-- relevant label is 0 in user_metrics
from {{ scored_users() }} as e
inner join {{ ref('label_users') }} as u on u.user_id = e.user_id
left join hits_within_r as h on h.candidate = e.candidate and h.user_id = u.user_id
{%- endif %}
