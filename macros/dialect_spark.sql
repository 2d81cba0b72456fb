{#- The Spark forms of the macros in dialect.sql that dispatch (spark__name beside
    default__name). sqlglot still reads them as DuckDB SQL before it writes Spark SQL, so
    they use DuckDB's spelling where sqlglot maps it (lambda x: ..., list(...)) and Spark's
    own function names where DuckDB has none (conv, make_dt_interval, unix_micros): sqlglot
    passes unknown names through. -#}

{#- md5 as in default__stable_hash; Spark reads the hex digits with conv, not a '0x' cast -#}
{% macro spark__stable_hash() -%}
cast(conv(left(md5(concat_ws('|', {% for v in varargs %}cast({{ v }} as varchar){{ ', ' if not loop.last }}{% endfor %})), 15), 16, 10) as bigint)
{%- endmacro %}

{#- Spark has no gcd: Euclid's algorithm over a fixed number of steps (92 suffice for any
    pair of 64-bit integers; a finished pair stays as it is) -#}
{% macro spark__greatest_common_divisor(a, b) -%}
aggregate(
    sequence(1, 92),
    named_struct('x', abs(cast({{ a }} as bigint)), 'y', abs(cast({{ b }} as bigint))),
    lambda pair, step: case when pair.y = 0 then pair else named_struct('x', pair.y, 'y', pair.x % pair.y) end,
    lambda pair: pair.x
)
{%- endmacro %}

{#- percentiles on Spark take numbers: the quantile of the microseconds since 1970, which
    is a value that occurs, turned back into that timestamp -#}
{% macro spark__discrete_quantile_of_timestamps(column, fraction) -%}
timestamp_micros(cast(quantile_disc(unix_micros({{ column }}), {{ fraction }}) as bigint))
{%- endmacro %}

{#- Spark does not take to_days(); a day-time interval of that many days -#}
{% macro spark__days_before(expression, days) -%}
({{ expression }} - make_dt_interval(cast({{ days }} as integer)))
{%- endmacro %}

{#- Spark has no unsigned type: the word is a BIGINT with the same 64 bits (bit 63 is the
    sign bit); bit_or and bit_count read it the same way -#}
{% macro spark__single_bit(position) -%}
(cast(1 as bigint) << cast({{ position }} as integer))
{%- endmacro %}

{#- collect_list leaves nulls out (DuckDB's list keeps them) and gives an empty list for no
    row; a null score adds nothing to the Mann-Whitney U below either way -#}
{% macro spark__list_where(expression, condition) -%}
list({{ expression }}) filter (where {{ condition }})
{%- endmacro %}

{% macro spark__shared_items(left, right) -%}
size(array_intersect({{ left }}, {{ right }}))
{%- endmacro %}

{#- Spark's arrays count from 0 under [ ]: array_distinct says the same thing in one call -#}
{% macro spark__sorted_list_has_repeat(sorted_values) -%}
size(array_distinct({{ sorted_values }})) < size({{ sorted_values }})
{%- endmacro %}

{#- the same pairwise count as default__twice_mann_whitney_u, with Spark's higher-order
    functions (aggregate, filter, size) in place of a list comprehension and list_sum -#}
{% macro spark__twice_mann_whitney_u(positives, negatives) -%}
aggregate(
    {{ positives }},
    cast(0 as bigint),
    lambda total, p: total
        + 2 * size(filter({{ negatives }}, lambda n: n < p))
        + size(filter({{ negatives }}, lambda n: n = p))
)
{%- endmacro %}

{#- Spark's name for DuckDB's error() -#}
{% macro spark__fail_with(message) -%}
raise_error({{ message }})
{%- endmacro %}

{#- Spark has no ordered string_agg before 4.0: the sorted set of values, joined -#}
{% macro spark__joined_values(column) -%}
concat_ws(', ', sort_array(collect_set({{ column }})))
{%- endmacro %}

{#- Spark has no enum type: a candidate's name is text -#}
{% macro spark__candidate_type() -%}
varchar
{%- endmacro %}
