-- fails for a metric name in `metrics` that no YAML declares (meta.metrics beside its
-- model): without its direction, wins, colours and the gate cannot tell better from worse
select m.metric, count(*) as rows_in_metrics,
    'declare it under meta.metrics in the YAML beside the model that computes it' as what_to_do
from {{ ref('metrics') }} as m
anti join {{ ref('metric_definitions') }} as d on d.metric = m.metric
group by m.metric
