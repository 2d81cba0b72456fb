{#- Engine-specific SQL behind one name each. The DuckDB form is here; a macro that Spark
    needs in another form calls dispatch('name'), which picks spark__name from
    dialect_spark.sql on Spark and default__name here otherwise (docs/spark.md). -#}

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

{#- returns a select of no row with the given columns ({name: SQL type}, none for an
    untyped null such as an id whose type follows the data): the empty relation a union
    model stands for when nothing feeds it -#}
{% macro empty_relation(columns) -%}
select
    {%- for name, type in columns.items() %}
    {% if type is none %}null{% else %}cast(null as {{ type }}){% endif %} as {{ name }}{{ "," if not loop.last }}
    {%- endfor %}
where false
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

{#- returns a deterministic non-negative 60-bit hash of the arguments (the first 15 hex
    digits of the md5 of their text joined by '|'): the same number on every engine and
    version, where DuckDB's hash() and Spark's hash() differ -#}
{% macro stable_hash() -%}
{{ dispatch('stable_hash')(*varargs) }}
{%- endmacro %}
{% macro default__stable_hash() -%}
cast(('0x' || left(md5(concat_ws('|', {% for v in varargs %}cast({{ v }} as varchar){{ ', ' if not loop.last }}{% endfor %})), 15)) as bigint)
{%- endmacro %}

{#- returns the greatest common divisor of two integers -#}
{% macro greatest_common_divisor(a, b) -%}
{{ dispatch('greatest_common_divisor')(a, b) }}
{%- endmacro %}
{% macro default__greatest_common_divisor(a, b) -%}
gcd({{ a }}, {{ b }})
{%- endmacro %}

{#- returns the discrete quantile (a value that occurs) of a column at a fraction in [0, 1] -#}
{% macro discrete_quantile(column, fraction) -%}
quantile_disc({{ column }}, {{ fraction }})
{%- endmacro %}

{#- returns the discrete quantile of a TIMESTAMP column (Spark's percentiles take numbers
    only, so there it is the quantile of the microseconds since 1970, turned back) -#}
{% macro discrete_quantile_of_timestamps(column, fraction) -%}
{{ dispatch('discrete_quantile_of_timestamps')(column, fraction) }}
{%- endmacro %}
{% macro default__discrete_quantile_of_timestamps(column, fraction) -%}
quantile_disc({{ column }}, {{ fraction }})
{%- endmacro %}

{#- returns the timestamp `days` days before a timestamp expression -#}
{% macro days_before(expression, days) -%}
{{ dispatch('days_before')(expression, days) }}
{%- endmacro %}
{% macro default__days_before(expression, days) -%}
({{ expression }} - to_days(cast({{ days }} as integer)))
{%- endmacro %}

{#- returns a timestamp from seconds since 1970-01-01 UTC, as a plain TIMESTAMP (no time zone) -#}
{% macro epoch_seconds_to_timestamp(expression) -%}
make_timestamp(cast({{ expression }} as bigint) * 1000000)
{%- endmacro %}

{#- returns a table with one column per (metric, k) pair of a long table, named 'metric@k'
    ('metric' when k is null), metric by metric and k in increasing order (null first); the
    other columns of `index_columns` come first. The long table has columns metric, k and
    value. -#}
{% macro pivot_metric_columns(long_relation, index_columns, order_by) -%}
{%- set index = index_columns | join(', ') -%}
select {{ index }}, columns('^([^#]+)#(?:(@)0*([0-9]+))?$') as '\1\2\3'
from (
    pivot (
        select
            {{ index }},
            metric || '#' || coalesce('@' || lpad(cast(k as varchar), 12, '0'), '') as metric_at_k,
            value
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
{{ dispatch('single_bit')(position) }}
{%- endmacro %}
{% macro default__single_bit(position) -%}
(cast(1 as ubigint) << cast({{ position }} as ubigint))
{%- endmacro %}

{#- returns the bitwise OR of a column's words over a group (an aggregate) -#}
{% macro bits_or(expression) -%}
bit_or({{ expression }})
{%- endmacro %}

{#- returns how many bits of a 64-bit word are set -#}
{% macro bits_set(expression) -%}
bit_count({{ expression }})
{%- endmacro %}

{#- returns a timestamp from an expression of any type: timestamps, dates and text that
    reads as a time convert, anything else (an integer, say) becomes null -#}
{% macro try_timestamp(expression) -%}
try_cast(cast({{ expression }} as varchar) as timestamp)
{%- endmacro %}

{#- returns a table expression (id_column, name_column, value_column): one row per row of
    `relation` and column other than id_column, the value as text; nulls are left out -#}
{% macro unpivot_columns(relation, id_column, name_column, value_column) -%}
(
    unpivot (
        select {{ id_column }}, cast(columns(* exclude ({{ id_column }})) as varchar)
        from {{ relation }}
    )
    on columns(* exclude ({{ id_column }}))
    into name {{ name_column }} value {{ value_column }}
)
{%- endmacro %}

{#- returns the list of an expression's values over a group's rows where `condition`
    holds (an aggregate; an empty list when none does) -#}
{% macro list_where(expression, condition) -%}
{{ dispatch('list_where')(expression, condition) }}
{%- endmacro %}
{% macro default__list_where(expression, condition) -%}
coalesce(list({{ expression }}) filter (where {{ condition }}), [])
{%- endmacro %}

{#- returns how many values two lists share (lists without repeated values, as a list's
    items are). On DuckDB each value of `left` is looked for in `right`: for lists of a
    hundred ids that is 2.5 to 3 times faster than list_intersect, which hashes both lists
    (1M pairs of 85 integer ids: 5.0 s against 13.7 s; of text ids: 3.8 s against 9.7 s) -#}
{% macro shared_items(left, right) -%}
{{ dispatch('shared_items')(left, right) }}
{%- endmacro %}
{% macro default__shared_items(left, right) -%}
len(list_filter({{ left }}, lambda shared_item: list_contains({{ right }}, shared_item)))
{%- endmacro %}

{#- returns true when a sorted list holds some value more than once. On DuckDB a repeated
    value sits next to its copy, so one look at each neighbour finds it, without the hash
    that list_distinct builds per list (2M lists of 100 ids: sorting and looking take
    about 9 s, list_distinct alone 15 s) -#}
{% macro sorted_list_has_repeat(sorted_values) -%}
{{ dispatch('sorted_list_has_repeat')(sorted_values) }}
{%- endmacro %}
{% macro default__sorted_list_has_repeat(sorted_values) -%}
len(list_filter(range(1, len({{ sorted_values }})), lambda position: {{ sorted_values }}[position] = {{ sorted_values }}[position + 1])) > 0
{%- endmacro %}

{#- returns twice the Mann-Whitney U of two lists of numbers: for each value of
    `positives`, 2 x the values of `negatives` below it + 1 x those equal to it. Compares
    every pair, so for short lists only (a user's list: at most max(k_values) items). -#}
{% macro twice_mann_whitney_u(positives, negatives) -%}
{{ dispatch('twice_mann_whitney_u')(positives, negatives) }}
{%- endmacro %}
{% macro default__twice_mann_whitney_u(positives, negatives) -%}
list_sum([
    2 * len(list_filter({{ negatives }}, lambda n: n < p)) + len(list_filter({{ negatives }}, lambda n: n = p))
    for p in {{ positives }}
])
{%- endmacro %}

{#- returns an expression that stops the query with `message` (a SQL string expression)
    when it is evaluated: a check on the data that the build reports as an error -#}
{% macro fail_with(message) -%}
{{ dispatch('fail_with')(message) }}
{%- endmacro %}
{% macro default__fail_with(message) -%}
error({{ message }})
{%- endmacro %}

{#- returns the distinct values of a column as one string, sorted, comma-separated (an aggregate) -#}
{% macro joined_values(column) -%}
{{ dispatch('joined_values')(column) }}
{%- endmacro %}
{% macro default__joined_values(column) -%}
string_agg(distinct {{ column }}, ', ' order by {{ column }})
{%- endmacro %}
