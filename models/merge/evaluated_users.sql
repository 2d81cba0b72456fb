-- one row: the users a metric's mean runs over (n_users) and the label users without any
-- relevant item, who count as 0 only when count_users_without_relevant is true
{{ config(materialized='table') }}

with counts as (
    select
        coalesce(sum(case when n_relevant > 0 then 1 else 0 end), 0) as n_relevant_users,
        coalesce(sum(case when n_relevant = 0 then 1 else 0 end), 0) as users_without_relevant
    from {{ ref('label_users') }}
)

select
    n_relevant_users,
    users_without_relevant,
    n_relevant_users
    {%- if boolean_var('count_users_without_relevant', false) == 'true' %} + users_without_relevant{% endif %}
        as n_users
from counts
