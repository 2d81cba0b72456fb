-- One row per build, candidate, metric and k: every build appends its `metrics` rows, so
-- trends over builds are a query away (the report's "Trend over builds" reads this).
-- build_id is the build's invocation id (as in target/run_results.json); built_at is UTC;
-- config_fingerprint hashes what the values depend on besides the models (the vars, the
-- baselines, each input file's content): a trend compares the builds that share it.
-- `--full-refresh` starts the history again, as for any incremental model.
{{ config(materialized='incremental', unique_key=['build_id', 'candidate', 'metric', 'k']) }}

with this_build as (
    select
        '{{ invocation_id }}' as build_id,
        cast('{{ run_started_at }}' as timestamp) as built_at,
        '{{ config_fingerprint }}' as config_fingerprint,
        cast(candidate as varchar) as candidate,
        cast(metric as varchar) as metric,
        cast(k as integer) as k,
        cast(value as double) as value
    from {{ ref('metrics') }}
)

select build_id, built_at, config_fingerprint, candidate, metric, k, value
from this_build
