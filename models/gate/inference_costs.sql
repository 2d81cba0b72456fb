-- per candidate of inference_log: requests, the latency percentiles p50, p95 and p99 in ms
-- (linear interpolation between the ordered latencies, numpy's default) and the mean, and
-- cost_per_1k = 1000 * total cost / requests; the latency and cost checks of the gate
{{ config(materialized='table') }}

select
    candidate,
    count(*) as requests,
    quantile_cont(latency_ms, 0.5) as latency_p50_ms,
    quantile_cont(latency_ms, 0.95) as latency_p95_ms,
    quantile_cont(latency_ms, 0.99) as latency_p99_ms,
    avg(latency_ms) as latency_mean_ms,
    1000.0 * sum(cost) / count(*) as cost_per_1k
from {{ ref('inference_log') }}
group by candidate
order by candidate
