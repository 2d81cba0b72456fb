-- the serving log the deployment gate reads: one row per request (candidate, request_id,
-- latency_ms, cost) from the file evaluation.inference_log; without that file, no row (the
-- gate then reports its latency and cost checks as not applicable)
{{ config(materialized='table') }}
{%- if evaluation.inference_log %}

select
    cast(candidate as varchar) as candidate,
    request_id,
    {{ number_or_null('latency_ms') }} as latency_ms,
    {{ number_or_null('cost') }} as cost
from {{ read_with_columns(evaluation.inference_log, ['candidate', 'request_id', 'latency_ms', 'cost']) }} as log_file
{%- else %}

{{ empty_relation({'candidate': 'varchar', 'request_id': 'varchar', 'latency_ms': 'double', 'cost': 'double'}) }}
{%- endif %}
