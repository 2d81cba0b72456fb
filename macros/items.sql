{#- The item features of evaluation.items (models/inputs/items.sql), engine by engine. -#}

{#- returns a query of (item_id as text, feature, category) with one row per category of a
    features file: every column but item_id is a feature; a list column gives one category
    per element, any other cell its text split on `delimiter` (none: the cell whole) -#}
{% macro item_features_from_file(path, delimiter) -%}
{{ dispatch('item_features_from_file')(path, delimiter) }}
{%- endmacro %}

{% macro default__item_features_from_file(path, delimiter) -%}
select item_id, feature, {{ unnest_list('categories') }} as category
from (
    unpivot (
        select
            cast(item_id as varchar) as item_id,
            -- every column as a list of text, whatever its type (one expression per column)
            case
                when typeof(columns(* exclude (item_id))) like '%[]'
                    then cast(columns(* exclude (item_id)) as varchar[])
                {%- if delimiter is none %}
                else [cast(columns(* exclude (item_id)) as varchar)]
                {%- else %}
                else string_split(cast(columns(* exclude (item_id)) as varchar), {{ sql_string(delimiter) }})
                {%- endif %}
            end
        from {{ read_data_file(path) }} as items_file
    )
    on columns(* exclude (item_id))
    into name feature value categories
) as long_features
{%- endmacro %}

{#- Spark SQL has no columns(*) to turn every column of a file of unknown shape into rows -#}
{% macro spark__item_features_from_file(path, delimiter) -%}
{{ raise_error("evaluation.items is read on the DuckDB target only", hint="build with --target duckdb, or leave evaluation.items out on Spark (the genre metrics then have no rows)") }}
{%- endmacro %}
