-- one row per candidate in recs: every candidate gets metric rows, even one without a hit
{{ config(materialized='table') }}

select distinct candidate
from {{ ref('recs_lists') }}
