-- fails when the labels hold rows but none is relevant (relevance >= var rel_threshold):
-- every ranking metric averages over the users with a relevant label, so there would be
-- none to average over and every metric table would be empty. One aggregate over labels.
select
    count(*) as labels,
    max(relevance) as max_relevance,
    cast({{ rel_threshold() }} as double) as rel_threshold,
    'lower var rel_threshold, or check the relevance column of evaluation.labels' as what_to_do
from {{ ref('labels') }}
having count(*) > 0 and count(*) filter (where relevance >= {{ rel_threshold() }}) = 0
