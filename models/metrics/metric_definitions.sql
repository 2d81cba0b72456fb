-- one row per metric the project computes, in display order (position): its display name, family, direction (higher,
-- lower or neutral: which way is better), range and one-line description, from the YAML
-- beside each metric model (meta.metrics). The leaderboard, comparisons, report, MLflow
-- and gate read directions here; a metric model without metadata is a compile error.
{{ config(materialized='table') }}
{%- set definitions = metric_definitions() %}
{%- macro bound(value) -%}
{%- if value is none %}cast(null as double){% else %}cast({{ value }} as double){% endif -%}
{%- endmacro %}
{%- if definitions %}

select * from (values
    {%- for m in definitions %}
    ({{ sql_string(m.metric) }}, {{ sql_string(m.display_name) }}, {{ sql_string(m.family) }},
     {{ sql_string(m.direction) }}, {{ bound(m.range_min) }}, {{ bound(m.range_max) }},
     {{ sql_string(m.description) }}, {{ 'true' if m.key else 'false' }}, {{ sql_string(m.model) }}, {{ loop.index }}){{ "," if not loop.last }}
    {%- endfor %}
) as definitions(metric, display_name, family, direction, range_min, range_max, description, is_key, model, position)
{%- else %}

{{ empty_relation({'metric': 'varchar', 'display_name': 'varchar', 'family': 'varchar', 'direction': 'varchar',
                  'range_min': 'double', 'range_max': 'double', 'description': 'varchar', 'is_key': 'boolean',
                  'model': 'varchar', 'position': 'integer'}) }}
{%- endif %}
