{#- SplitMix64 in plain integer SQL: the seeded stream behind the randomization test and the
    bootstrap (models/compare). The same function in Python is five lines, so a test can
    reproduce every draw bit for bit (docs/evaluation.md, "The seed logic"):

        splitmix64(x) = z5, where (all arithmetic mod 2^64)
            z1 = x + 0x9E3779B97F4A7C15
            z2 = z1 xor (z1 >> 30)      z3 = z2 * 0xBF58476D1CE4E5B9
            z4 = z3 xor (z3 >> 27)      z5' = z4 * 0x94D049BB133111EB
            z5 = z5' xor (z5' >> 31)

    DuckDB checks unsigned arithmetic for overflow, so products mod 2^64 are built from
    32-bit halves: every intermediate value stays below 2^64 and no wide type is needed. -#}

{#- returns x + (hi * 2^32 + lo) mod 2^64 for an unsigned 64-bit x -#}
{% macro _add_mod_2_64(x, lo, hi) -%}
((((({{ x }} >> 32) + {{ hi }} + ((({{ x }} & 4294967295) + {{ lo }}) >> 32)) & 4294967295) << 32)
    | ((({{ x }} & 4294967295) + {{ lo }}) & 4294967295))
{%- endmacro %}

{#- returns x * (hi * 2^32 + lo) mod 2^64 for an unsigned 64-bit x: the low half of the
    low product, plus the low 32 bits of the cross products and of its carry, shifted up -#}
{% macro _mul_mod_2_64(x, lo, hi) -%}
{%- set low_product = '((' ~ x ~ ' & 4294967295) * ' ~ lo ~ ')' -%}
((((({{ low_product }} >> 32) + ((({{ x }} >> 32) * {{ lo }}) & 4294967295)
    + ((({{ x }} & 4294967295) * {{ hi }}) & 4294967295)) & 4294967295) << 32)
    | ({{ low_product }} & 4294967295))
{%- endmacro %}

{#- returns x xor (x >> shift) -#}
{% macro _xor_shift(x, shift) -%}
xor({{ x }}, {{ x }} >> {{ shift }})
{%- endmacro %}

{#- returns `relation` (a relation name) with one more column, `name` (a UBIGINT):
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
(select *, cast({{ input }} as ubigint) as {{ name }}__0 from {{ relation }}) as {{ name }}_input
{%- for step in steps %}) as {{ name }}_step_{{ loop.index }}{% endfor -%}
{%- endmacro %}
