-- one slice per column of the file evaluation.user_attributes (CSV or Parquet: user_id
-- and attribute columns), named after the column, its value as text; every user in labels
-- gets a row per column, '(missing)' when the file has no value for them
{{ config(tags=['slice'], enabled=(evaluation.user_attributes is not none)) }}
{%- if evaluation.user_attributes %}

with attributes as (
    select * from {{ unpivot_columns(read_data_file(evaluation.user_attributes), 'user_id', 'slice', 'slice_value') }}
),

slice_names as (
    select distinct slice from attributes
)

select u.user_id, n.slice, coalesce(a.slice_value, '(missing)') as slice_value
from {{ ref('label_users') }} as u
cross join slice_names as n
left join attributes as a on cast(a.user_id as varchar) = cast(u.user_id as varchar) and a.slice = n.slice
{%- endif %}
