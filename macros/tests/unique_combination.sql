{#- Generic data test: returns each combination of `columns` that occurs on more than one
    row (rows with a null in any of the columns are left to not_null), with its count. -#}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n_rows
from {{ model }}
where {% for column in columns %}{{ column }} is not null{{ " and " if not loop.last }}{% endfor %}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
