-- tenure: every user in labels as 'new' (no train interaction, or the first one at most
-- var new_user_days days before the cutoff) or 'returning' (earlier); 'unknown' when the
-- times are missing or not times. The cutoff is the split's; with your own train file,
-- the earliest label time (or, without label times, the latest train time). No rows when
-- evaluation.train has no ts column (the checks say so in one line).
{{ config(tags=['slice']) }}

with cutoff as (
    {%- if evaluation.train %}
    select coalesce(
        (select min({{ try_timestamp('ts') }}) from {{ ref('labels') }}),
        (select max({{ try_timestamp('ts') }}) from {{ ref('train') }})
    ) as cutoff
    {%- else %}
    select cutoff from {{ ref('split_cutoff') }}
    {%- endif %}
),

first_seen as (
    select user_id, min({{ try_timestamp('ts') }}) as first_ts
    from {{ ref('train') }}
    group by user_id
)

select
    u.user_id,
    'tenure' as slice,
    case
        when f.user_id is null then 'new'
        when f.first_ts is null or c.cutoff is null then 'unknown'
        when f.first_ts >= {{ days_before('c.cutoff', new_user_days()) }} then 'new'
        else 'returning'
    end as slice_value
from {{ ref('label_users') }} as u
cross join cutoff as c
left join first_seen as f on cast(f.user_id as varchar) = cast(u.user_id as varchar)
{%- if train_has_ts() == 'false' %}
where false
{%- endif %}
