{#- Two-sided tests and quantiles for the summary rows of comparisons and ab_tests. The
    distribution functions (student_t_sf, normal_sf, chi2_sf, normal_ppf, student_t_ppf)
    are not DuckDB's: evalhouse registers them from scipy on every connection
    (cli/evalhouse/sql_functions.py). Call them on a few summary rows, not per data row.
    Spark computes a Python function's arguments for every row before any case picks a
    branch, so a division in them is by nullif(x, 0): null where the case does not call it. -#}

{#- returns the two-sided p-value of a difference and its standard error under a Student
    t distribution with df degrees of freedom: 1 when both are 0, 0 when only the
    standard error is 0, null when either is undefined -#}
{% macro t_test_p_value(difference, standard_error, df) -%}
case
    when {{ difference }} is null or {{ standard_error }} is null or {{ df }} is null or {{ df }} <= 0 then null
    when {{ standard_error }} = 0 then case when {{ difference }} = 0 then 1.0 else 0.0 end
    else least(1.0, 2 * student_t_sf(abs({{ difference }} / nullif({{ standard_error }}, 0)), {{ df }}))
end
{%- endmacro %}

{#- returns the two-sided p-value of a difference and its standard error under the normal
    distribution, with the same conventions as t_test_p_value -#}
{% macro z_test_p_value(difference, standard_error) -%}
case
    when {{ difference }} is null or {{ standard_error }} is null then null
    when {{ standard_error }} = 0 then case when {{ difference }} = 0 then 1.0 else 0.0 end
    else least(1.0, 2 * normal_sf(abs({{ difference }} / nullif({{ standard_error }}, 0))))
end
{%- endmacro %}

{#- returns the upper quantile of a two-sided interval at level `level` (0.95 -> the
    0.975 quantile): of the normal distribution, or of Student's t when df is given -#}
{% macro two_sided_quantile(level, df=None) -%}
{%- if df is none -%}
normal_ppf(1 - (1 - {{ level }}) / 2)
{%- else -%}
student_t_ppf(1 - (1 - {{ level }}) / 2, {{ df }})
{%- endif -%}
{%- endmacro %}

{#- returns a DOUBLE as a fixed-point DECIMAL(38, 22) (|x| < 1e16, to 1e-22), so that sums over it are exact and
    do not depend on the order in which parallel threads add them up -#}
{% macro exact_number(expression) -%}
cast({{ expression }} as decimal(38, 22))
{%- endmacro %}

{#- returns a DOUBLE below 1e4 in magnitude as a fixed-point DECIMAL(18, 14) (to 1e-14): for the
    per-item terms summed row by row (novelty and inverse user frequency, at most log2 of a
    count, so below 64; serendipity and genre weights, at most 1). Sums over it are exact like
    exact_number's, and a value takes eight bytes instead of sixteen: beyond_list_stats took
    38 to 39 s instead of 44 to 46 s on 1M users under memory_limit 800MB (bench/RESULTS.md) -#}
{% macro exact_term(expression) -%}
cast({{ expression }} as decimal(18, 14))
{%- endmacro %}
