{#- Engine-specific SQL behind one name each. DuckDB today; a Spark target adds its
    branch here (`target.name`) and the models stay as they are. -#}

{#- returns a SQL string literal for a value (single quotes doubled) -#}
{% macro sql_string(value) -%}
'{{ value | string | replace("'", "''") }}'
{%- endmacro %}

{#- returns a table expression reading a CSV or Parquet file (chosen by its extension) -#}
{% macro read_data_file(path) -%}
{%- if path.lower().endswith(('.parquet', '.pq')) -%}
read_parquet({{ sql_string(path) }})
{%- else -%}
read_csv({{ sql_string(path) }}, header = true)
{%- endif -%}
{%- endmacro %}

{#- returns the rows of a data file with every column named in `columns` present (null
    when the file lacks it); the file's other columns and its types are kept as they are -#}
{% macro read_with_columns(path, columns) -%}
(
    select * from (
        select {% for name in columns %}null as {{ name }}{{ ", " if not loop.last }}{% endfor %}
    ) as expected_columns
    where false
    union all by name
    select * from {{ read_data_file(path) }}
)
{%- endmacro %}

{#- returns the expression as a number, with NaN (how pandas writes a missing number) as null -#}
{% macro number_or_null(expression, type='double') -%}
case when isnan(cast({{ expression }} as double)) then null else cast({{ expression }} as {{ type }}) end
{%- endmacro %}

{#- returns a list literal from a Jinja list of numbers -#}
{% macro list_literal(values) -%}
[{{ values | join(', ') }}]
{%- endmacro %}

{#- returns one row per element of a list expression (use in a select list) -#}
{% macro unnest_list(expression) -%}
unnest({{ expression }})
{%- endmacro %}

{#- returns the list of integers first..last (inclusive) -#}
{% macro integer_range(first, last) -%}
generate_series(cast({{ first }} as bigint), cast({{ last }} as bigint))
{%- endmacro %}

{#- returns a deterministic non-negative 64-bit hash of the arguments -#}
{% macro stable_hash() -%}
hash({{ varargs | join(', ') }})
{%- endmacro %}

{#- returns the greatest common divisor of two integers -#}
{% macro greatest_common_divisor(a, b) -%}
gcd({{ a }}, {{ b }})
{%- endmacro %}

{#- returns the discrete quantile (a value that occurs) of a column at a fraction in [0, 1] -#}
{% macro discrete_quantile(column, fraction) -%}
quantile_disc({{ column }}, {{ fraction }})
{%- endmacro %}

{#- returns the timestamp `days` days before a timestamp expression -#}
{% macro days_before(expression, days) -%}
({{ expression }} - to_days(cast({{ days }} as integer)))
{%- endmacro %}

{#- returns a timestamp from seconds since 1970-01-01 UTC, as a plain TIMESTAMP (no time zone) -#}
{% macro epoch_seconds_to_timestamp(expression) -%}
make_timestamp(cast({{ expression }} as bigint) * 1000000)
{%- endmacro %}

{#- returns a table with one column per (metric, k) pair of a long table, named 'metric@k',
    metric by metric and k in increasing order; the other columns of `index_columns` come
    first. The long table has columns metric, k and value. -#}
{% macro pivot_metric_columns(long_relation, index_columns, order_by) -%}
{%- set index = index_columns | join(', ') -%}
select {{ index }}, columns('^(.+)#0*([0-9]+)$') as '\1@\2'
from (
    pivot (
        select {{ index }}, metric || '#' || lpad(cast(k as varchar), 12, '0') as metric_at_k, value
        from {{ long_relation }}
    )
    on metric_at_k
    using first(value)
    group by {{ index }}
) as wide
order by {{ order_by }}
{%- endmacro %}

{#- returns a 64-bit word with only bit `position` (0..63) set -#}
{% macro single_bit(position) -%}
(cast(1 as ubigint) << cast({{ position }} as integer))
{%- endmacro %}

{#- returns the bitwise OR of a column's words over a group (an aggregate) -#}
{% macro bits_or(expression) -%}
bit_or({{ expression }})
{%- endmacro %}

{#- returns how many bits of a 64-bit word are set -#}
{% macro bits_set(expression) -%}
bit_count({{ expression }})
{%- endmacro %}
