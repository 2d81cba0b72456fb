{#- Generic data test: returns each key of `duplicates` (a relation listing the keys the
    model's input holds on more than one row) that the model does not hold exactly once,
    with how many rows it holds. A model that keeps every other input row as it is (recs)
    is then unique per `columns` without grouping all of its rows again: only the
    duplicated keys are looked up (a join with `duplicates`, one row per key). -#}
{% test one_row_per_duplicated_key(model, duplicates, columns) %}
with kept as (
    select {% for c in columns %}m.{{ c }}{{ ", " if not loop.last }}{% endfor %}, count(*) as n_rows
    from {{ model }} as m
    inner join {{ duplicates }} as d
        on {% for c in columns %}d.{{ c }} = m.{{ c }}{{ " and " if not loop.last }}{% endfor %}
    group by {% for c in columns %}m.{{ c }}{{ ", " if not loop.last }}{% endfor %}
)

select {% for c in columns %}d.{{ c }}{{ ", " if not loop.last }}{% endfor %}, coalesce(k.n_rows, 0) as n_rows_kept
from {{ duplicates }} as d
left join kept as k
    on {% for c in columns %}k.{{ c }} = d.{{ c }}{{ " and " if not loop.last }}{% endfor %}
where coalesce(k.n_rows, 0) <> 1
{% endtest %}
