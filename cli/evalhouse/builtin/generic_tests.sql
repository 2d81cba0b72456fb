{#- The built-in generic data tests. Each returns the rows that fail. -#}

{% test not_null(model, column_name) %}
select * from {{ model }} where {{ column_name }} is null
{% endtest %}

{% test unique(model, column_name) %}
select {{ column_name }} as unique_field, count(*) as n_records
from {{ model }}
where {{ column_name }} is not null
group by {{ column_name }}
having count(*) > 1
{% endtest %}

{% test accepted_values(model, column_name, values, quote=true) %}
with observed as (
    select distinct {{ column_name }} as value_field from {{ model }}
)
select value_field from observed
where value_field is not null
  and value_field not in (
    {%- for value in values -%}
    {%- if quote %}'{{ value | string | replace("'", "''") }}'{% else %}{{ value }}{% endif -%}
    {%- if not loop.last %}, {% endif -%}
    {%- endfor -%}
  )
{% endtest %}

{% test relationships(model, column_name, to, field) %}
with children as (
    select {{ column_name }} as child_key from {{ model }} where {{ column_name }} is not null
),
parents as (
    select {{ field }} as parent_key from {{ to }}
)
select child_key from children
where child_key not in (select parent_key from parents where parent_key is not null)
{% endtest %}

{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
select * from {{ model }}
where {{ column_name }} is not null and (
    false
    {%- if min_value is not none %} or {{ column_name }} {{ '<' if inclusive else '<=' }} {{ min_value }}{% endif %}
    {%- if max_value is not none %} or {{ column_name }} {{ '>' if inclusive else '>=' }} {{ max_value }}{% endif %}
)
{% endtest %}

{% test expression_is_true(model, expression, column_name=none) %}
select * from {{ model }}
where not coalesce(({% if column_name %}{{ column_name }} {% endif %}{{ expression }}), false)
{% endtest %}
