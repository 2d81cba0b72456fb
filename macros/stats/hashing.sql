{#- SplitMix64 in plain integer SQL: the seeded stream behind the randomization test and the
    bootstrap (models/compare). The same function in Python is five lines, so a test can
    reproduce every draw bit for bit (docs/evaluation.md, "The seed logic"):

        splitmix64(x) = z5, where (all arithmetic mod 2^64)
            z1 = x + 0x9E3779B97F4A7C15
            z2 = z1 xor (z1 >> 30)      z3 = z2 * 0xBF58476D1CE4E5B9
            z4 = z3 xor (z3 >> 27)      z5' = z4 * 0x94D049BB133111EB
            z5 = z5' xor (z5' >> 31)

    DuckDB checks unsigned arithmetic for overflow, so products mod 2^64 are built from
    32-bit halves: every intermediate value stays below 2^64 and no wide type is needed.

    Spark has no unsigned 64-bit type and checks BIGINT arithmetic for overflow (ANSI
    mode): there a word is a BIGINT holding the same 64 bits, shifted right without the
    sign (shiftrightunsigned), and the products are built from 16-bit pieces of the
    constants so that every intermediate value stays below 2^63. The spark__ forms below
    give the same words; a table stores a word as DECIMAL(20, 0), the unsigned value. -#}

{#- returns a non-negative integer expression below 2^63 (or, on Spark, a word) as a word -#}
{% macro uint64(expression) -%}
{{ dispatch('uint64')(expression) }}
{%- endmacro %}
{% macro default__uint64(expression) -%}
cast({{ expression }} as ubigint)
{%- endmacro %}
{% macro spark__uint64(expression) -%}
cast({{ expression }} as bigint)
{%- endmacro %}

{#- returns a word as a table column holds it: UBIGINT, or the unsigned value as a
    DECIMAL(20, 0) on Spark -#}
{% macro uint64_to_column(expression) -%}
{{ dispatch('uint64_to_column')(expression) }}
{%- endmacro %}
{% macro default__uint64_to_column(expression) -%}
{{ expression }}
{%- endmacro %}
{% macro spark__uint64_to_column(expression) -%}
cast(cast({{ expression }} as decimal(20, 0)) + case when {{ expression }} < 0 then 18446744073709551616 else 0 end
    as decimal(20, 0))
{%- endmacro %}

{#- returns a column written by uint64_to_column as a word again -#}
{% macro uint64_from_column(expression) -%}
{{ dispatch('uint64_from_column')(expression) }}
{%- endmacro %}
{% macro default__uint64_from_column(expression) -%}
{{ expression }}
{%- endmacro %}
{% macro spark__uint64_from_column(expression) -%}
cast(case when {{ expression }} >= 9223372036854775808 then {{ expression }} - 18446744073709551616
    else {{ expression }} end as bigint)
{%- endmacro %}

{#- returns word >> shift, the sign bit shifted as any other -#}
{% macro shift_right_uint64(expression, shift) -%}
{{ dispatch('shift_right_uint64')(expression, shift) }}
{%- endmacro %}
{% macro default__shift_right_uint64(expression, shift) -%}
({{ expression }} >> {{ shift }})
{%- endmacro %}
{% macro spark__shift_right_uint64(expression, shift) -%}
shiftrightunsigned({{ expression }}, {{ shift }})
{%- endmacro %}

{#- returns x + (hi * 2^32 + lo) mod 2^64 for an unsigned 64-bit x -#}
{% macro _add_mod_2_64(x, lo, hi) -%}
{{ dispatch('add_mod_2_64')(x, lo, hi) }}
{%- endmacro %}
{% macro default__add_mod_2_64(x, lo, hi) -%}
((((({{ x }} >> 32) + {{ hi }} + ((({{ x }} & 4294967295) + {{ lo }}) >> 32)) & 4294967295) << 32)
    | ((({{ x }} & 4294967295) + {{ lo }}) & 4294967295))
{%- endmacro %}
{% macro spark__add_mod_2_64(x, lo, hi) -%}
((((shiftrightunsigned({{ x }}, 32) + {{ hi }} + ((({{ x }} & 4294967295) + {{ lo }}) >> 32)) & 4294967295) << 32)
    | ((({{ x }} & 4294967295) + {{ lo }}) & 4294967295))
{%- endmacro %}

{#- returns x * (hi * 2^32 + lo) mod 2^64 for an unsigned 64-bit x: the low half of the
    low product, plus the low 32 bits of the cross products and of its carry, shifted up -#}
{% macro _mul_mod_2_64(x, lo, hi) -%}
{{ dispatch('mul_mod_2_64')(x, lo, hi) }}
{%- endmacro %}
{% macro default__mul_mod_2_64(x, lo, hi) -%}
{%- set low_product = '((' ~ x ~ ' & 4294967295) * ' ~ lo ~ ')' -%}
((((({{ low_product }} >> 32) + ((({{ x }} >> 32) * {{ lo }}) & 4294967295)
    + ((({{ x }} & 4294967295) * {{ hi }}) & 4294967295)) & 4294967295) << 32)
    | ({{ low_product }} & 4294967295))
{%- endmacro %}

{#- the same on Spark, where a product of two 32-bit halves may pass 2^63: each half of
    the constant is split in 16-bit pieces (the low and high 32 bits of a x c below) -#}
{% macro spark__mul_mod_2_64(x, lo, hi) -%}
{%- set x_low = '(' ~ x ~ ' & 4294967295)' -%}
{%- set x_high = 'shiftrightunsigned(' ~ x ~ ', 32)' -%}
(((({{ _mul_high_32(x_low, lo) }} + {{ _mul_low_32(x_high, lo) }} + {{ _mul_low_32(x_low, hi) }})
    & 4294967295) << 32)
    | {{ _mul_low_32(x_low, lo) }})
{%- endmacro %}

{#- returns (a x c) mod 2^32 for an expression a below 2^32 and a constant c below 2^32,
    with c = c1 x 2^16 + c0: every product stays below 2^48 -#}
{% macro _mul_low_32(a, c) -%}
{%- set c1 = (c | int) // 65536 -%}{%- set c0 = (c | int) % 65536 -%}
((((({{ a }} * {{ c1 }}) & 65535) << 16) + {{ a }} * {{ c0 }}) & 4294967295)
{%- endmacro %}

{#- returns floor(a x c / 2^32), as for _mul_low_32 -#}
{% macro _mul_high_32(a, c) -%}
{%- set c1 = (c | int) // 65536 -%}{%- set c0 = (c | int) % 65536 -%}
((({{ a }} * {{ c1 }}) + (({{ a }} * {{ c0 }}) >> 16)) >> 16)
{%- endmacro %}

{#- returns x xor (x >> shift) -#}
{% macro _xor_shift(x, shift) -%}
{{ dispatch('xor_shift')(x, shift) }}
{%- endmacro %}
{% macro default__xor_shift(x, shift) -%}
xor({{ x }}, {{ x }} >> {{ shift }})
{%- endmacro %}
{% macro spark__xor_shift(x, shift) -%}
xor({{ x }}, shiftrightunsigned({{ x }}, {{ shift }}))
{%- endmacro %}

{#- returns `relation` (a relation name) with one more column, `name` (a word):
    splitmix64 of `input`, any non-negative integer expression below 2^64 over the
    relation's columns. One projection per step, so every expression stays small. -#}
{% macro with_splitmix64(relation, input, name) -%}
{%- set steps = [
    _add_mod_2_64(name ~ '__0', 2135587861, 2654435769),
    _xor_shift(name ~ '__1', 30),
    _mul_mod_2_64(name ~ '__2', 484763065, 3210233709),
    _xor_shift(name ~ '__3', 27),
    _mul_mod_2_64(name ~ '__4', 321982955, 2496678331),
    _xor_shift(name ~ '__5', 31),
] -%}
{%- for step in steps | reverse -%}
(select * exclude ({{ name }}__{{ loop.revindex0 }}), {{ step }} as {{ name if loop.first else name ~ '__' ~ (loop.revindex0 + 1) }} from {% endfor -%}
(select *, {{ uint64(input) }} as {{ name }}__0 from {{ relation }}) as {{ name }}_input
{%- for step in steps %}) as {{ name }}_step_{{ loop.index }}{% endfor -%}
{%- endmacro %}

{#- returns floor(word / 2^32 * n) as a word: an index 0..n-1 from the top 32 bits of a
    word (n below 2^31), the draw of the bootstrap and the bucket of a user -#}
{% macro uniform_index(word, n) -%}
{{ shift_right_uint64('(' ~ shift_right_uint64(word, 32) ~ ' * ' ~ uint64(n) ~ ')', 32) }}
{%- endmacro %}
