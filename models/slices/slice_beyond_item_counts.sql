-- beyond_item_counts by slice: per candidate, slice, slice_value, K and recommended item,
-- the counts the beyond-accuracy metrics read (macros/metrics/beyond_accuracy/). Users
-- with the same slices (one value per slice dimension) share a combination; the rows of
-- the lists are counted once per combination, then each slice adds up the combinations
-- it is part of. So every row is read once, however many slice dimensions there are.
{{ config(materialized='table') }}
{%- if beyond_item_counts is defined and slices_include('beyond_accuracy') %}
{%- set ks = cutoffs_text(k_values()).split(',') | map('int') | list %}
{%- set pair_text = "cast(length(slice) as varchar) || ':' || slice || '='"
                   ~ " || coalesce(cast(length(slice_value) as varchar) || ':' || slice_value, 'null')" %}

with user_combinations as (
    -- the user's (slice, value) pairs as one text; each part says its own length (a null
    -- value is 'null', which has no length), so no value, whatever it holds, can make two
    -- different sets read the same
    select user_id, {{ joined_values(pair_text) }} as combination
    from {{ ref('user_slices') }}
    group by user_id
),

-- each combination as a number: the passes over every row below group and join on it
-- (with the text of every slice value on every row, this model took 38.1 s instead of
-- 30.3 s at 1M users x 3 candidates)
user_combination_ids as (
    select user_id, dense_rank() over (order by combination) as combination_id
    from user_combinations
),

-- each (slice, slice_value) as a number, slice_key: the counts are added up per slice on it
combination_slices as (
    select combination_id, slice, slice_value, dense_rank() over (order by slice, slice_value) as slice_key
    from (
        select distinct c.combination_id, s.slice, s.slice_value
        from user_combination_ids as c
        inner join {{ ref('user_slices') }} as s on s.user_id = c.user_id
    ) as pairs
),

slice_names as (
    select distinct slice_key, slice, slice_value from combination_slices
),

-- each list's combination: the counts read beyond_top_rows, whose rows carry none, and
-- take it from the list (at 1M users x 3 candidates, 27.9 s instead of 34.8 s through
-- the view beyond_recs and a join per row)
combination_lists as (
    select b.candidate, b.user_id, b.k, b.n_items, c.combination_id
    from {{ ref('beyond_list_stats') }} as b
    inner join user_combination_ids as c on c.user_id = b.user_id
),

-- one row per (candidate, combination, item) with the Ks side by side. The aggregate over
-- every row holds counts only (beyond_item_counts_side_by_side): with a sum of weights
-- per K and a max beside them, its state spilled past the 20 GB temp cap at 10M users
-- (5M items, 3 combinations) and the build ran out of memory
combination_counts as (
    select * from ({{ beyond_item_counts_side_by_side(ref('beyond_top_rows'), 'combination_lists', ref('beyond_items'), k_values(), ['combination_id']) }})
        as item_counts
),

-- each slice adds up the combinations it is part of, still with the Ks side by side and
-- grouped on numbers, not one row per K with the slice's text
slice_counts as (
    select
        c.candidate,
        s.slice_key,
        c.item_id,
        max(c.n_train) as n_train
        {%- for k in ks %},
        sum(c.n_rows_{{ k }}) as n_rows_{{ k }},
        sum(c.cosine_weight_{{ k }}) as cosine_weight_{{ k }}
        {%- endfor %}
    from combination_counts as c
    inner join combination_slices as s on s.combination_id = c.combination_id
    group by c.candidate, s.slice_key, c.item_id
),

named_slice_counts as (
    select n.slice, n.slice_value, c.*
    from slice_counts as c
    inner join slice_names as n on n.slice_key = c.slice_key
)

select candidate, slice, slice_value, item_id, n_train, k, n_rows, cosine_weight
from ({{ item_counts_per_k('named_slice_counts', k_values(), ['slice', 'slice_value']) }}) as per_k
{%- else %}

select cast(null as varchar) as candidate where false
{%- endif %}
