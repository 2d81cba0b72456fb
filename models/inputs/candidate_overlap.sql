-- one row per candidate file: how many of the label users have a list in it
-- (n_label_users, n_users_with_list, share), how many of its users are not in labels, and up
-- to 3 ids from each side (the smallest label users without a list, the smallest users of
-- the file not in labels), to tell a file keyed by other ids (share 0: the test
-- candidates_reach_label_users fails) from one that covers part of the users (below half:
-- a warning). Reads recs_lists (one row per list) and labels, never the files' rows again.
{{ config(materialized='table') }}
{%- set files = evaluation.candidates or {} %}
{%- if files %}

with names as (
    select candidate from (values {% for name in files %}({{ sql_string(name) }}){{ ", " if not loop.last }}{% endfor %}) as n(candidate)
),

label_users as (
    select distinct user_id from {{ ref('labels') }}
),

listed as (
    select l.candidate, l.user_id, u.user_id is not null as in_labels
    from {{ ref('recs_lists') }} as l
    left join label_users as u on u.user_id = l.user_id
    where l.candidate in (select candidate from names)
),

per_candidate as (
    select
        candidate,
        count(case when in_labels then 1 end) as n_users_with_list,
        count(case when not in_labels then 1 end) as n_users_not_in_labels
    from listed
    group by candidate
),

-- the samples: the 3 smallest ids of each side, as text (concat_ws skips the missing ones)
not_in_labels as (
    select candidate, user_id, row_number() over (partition by candidate order by user_id) as position
    from listed
    where not in_labels
),

without_list as (
    select candidate, user_id, row_number() over (partition by candidate order by user_id) as position
    from (
        select n.candidate, u.user_id
        from names as n
        cross join label_users as u
        anti join listed as l on l.candidate = n.candidate and l.user_id = u.user_id
    ) as missing
),

{%- macro first_three(relation) %}
    select
        candidate,
        concat_ws(', ',
            {%- for position in [1, 2, 3] %}
            max(case when position = {{ position }} then cast(user_id as varchar) end){{ "," if not loop.last }}
            {%- endfor %}
        ) as user_ids
    from {{ relation }}
    where position <= 3
    group by candidate
{%- endmacro %}

sample_not_in_labels as ({{ first_three('not_in_labels') }}
),

sample_without_list as ({{ first_three('without_list') }}
)

select
    n.candidate,
    (select count(*) from label_users) as n_label_users,
    coalesce(p.n_users_with_list, 0) as n_users_with_list,
    coalesce(p.n_users_with_list, 0) * 1.0 / nullif((select count(*) from label_users), 0) as share,
    coalesce(p.n_users_not_in_labels, 0) as n_users_not_in_labels,
    w.user_ids as label_users_without_list,
    o.user_ids as users_not_in_labels
from names as n
left join per_candidate as p on p.candidate = n.candidate
left join sample_without_list as w on w.candidate = n.candidate
left join sample_not_in_labels as o on o.candidate = n.candidate
{%- else %}

{{ empty_relation({'candidate': 'varchar', 'n_label_users': 'bigint', 'n_users_with_list': 'bigint',
                  'share': 'double', 'n_users_not_in_labels': 'bigint', 'label_users_without_list': 'varchar',
                  'users_not_in_labels': 'varchar'}) }}
{%- endif %}
