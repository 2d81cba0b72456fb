-- The yardstick: one hand-written DuckDB query for the shared metric set (precision,
-- recall, ndcg, map, mrr, hit_rate at every K), means over the users with a relevant
-- label, straight from the Parquet files. It trusts its input (no duplicate rows, whole
-- ranks >= 1, no nulls) and checks nothing: the practical floor for any evaluation.
-- bench/run.py fills in {recs_path}, {labels_path}, {k_values} and {rel_threshold}.
with relevant as (
    select user_id, item_id, relevance
    from read_parquet('{labels_path}')
    where relevance >= {rel_threshold}
),

cutoffs as (
    select unnest([{k_values}]) as k
),

users as (
    -- per user: the number of relevant items and the ideal DCG at every K
    select
        user_id,
        count(*) as n_relevant,
        list(relevance order by relevance desc) as gains
    from relevant
    group by user_id
),

ideal as (
    select
        u.user_id,
        c.k,
        u.n_relevant,
        list_sum(list_transform(u.gains[1:c.k], lambda gain, i: gain / log2(i + 1))) as ideal_dcg
    from users as u
    cross join cutoffs as c
),

hits as (
    select
        r.user_id,
        r.rank,
        l.relevance,
        row_number() over (partition by r.user_id order by r.rank) as hit_index
    from read_parquet('{recs_path}') as r
    inner join relevant as l on l.user_id = r.user_id and l.item_id = r.item_id
    where r.rank <= (select max(k) from cutoffs)
),

sums as (
    select
        i.k,
        sum(case when h.rank is not null then 1.0 / i.k else 0.0 end) as precision_sum,
        sum(case when h.rank is not null then 1.0 / i.n_relevant else 0.0 end) as recall_sum,
        sum(case when h.hit_index = 1 then 1.0 else 0.0 end) as hit_rate_sum,
        sum(case when h.hit_index = 1 then 1.0 / h.rank else 0.0 end) as mrr_sum,
        sum(coalesce(h.hit_index / h.rank / i.n_relevant, 0.0)) as map_sum,
        sum(coalesce(h.relevance / log2(h.rank + 1) / i.ideal_dcg, 0.0)) as ndcg_sum
    from ideal as i
    left join hits as h on h.user_id = i.user_id and h.rank <= i.k
    group by i.k
),

n_users as (
    select count(*) as n from users
)

select metric, k, value / (select n from n_users) as value
from sums
unpivot (value for metric in (
    precision_sum as 'precision', recall_sum as 'recall', hit_rate_sum as 'hit_rate',
    mrr_sum as 'mrr', map_sum as 'map', ndcg_sum as 'ndcg'))
order by metric, k
